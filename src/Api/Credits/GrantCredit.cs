using Conpaas.Api.Identity;
using Conpaas.Domain.Credits;
using Conpaas.Domain.Users;
using Wolverine.Marten;

namespace Conpaas.Api.Credits;

/// <summary>grantCredit (administrators only): a negative amount takes credit away, never below 0.</summary>
public sealed record GrantCredit(Guid UserId, int Amount, string Reason, Actor By);

public static class GrantCreditHandler
{
    public static (UpdatedAggregate, Events) Handle(GrantCredit cmd, [WriteAggregate] User user) =>
        (new UpdatedAggregate(), [.. Charging.Grant(user, cmd.Amount, cmd.Reason, cmd.By.Name).EventsOrThrow()]);
}
