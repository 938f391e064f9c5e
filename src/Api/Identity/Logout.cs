using Conpaas.Domain.Users;
using Wolverine.Marten;

namespace Conpaas.Api.Identity;

/// <summary>logout and DELETE /session: revokes the session whose token made the call.</summary>
public sealed record Logout(Guid UserId, Guid SessionId);

public static class LogoutHandler
{
    public static Events Handle(Logout cmd, [WriteAggregate] User user) => [new SessionEnded(cmd.SessionId, "logout")];
}
