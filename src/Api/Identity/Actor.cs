using Conpaas.Domain.Users;

namespace Conpaas.Api.Identity;

/// <summary>
/// The signed-in user a command acts for, carried in the command: its handler runs in Wolverine's scope, not in the
/// request's, so it does not see the request's <see cref="Caller"/>.
/// </summary>
public sealed record Actor(Guid Id, string Name, bool IsAdmin)
{
    public static Actor Of(User user) => new(user.Id, user.Username, user.IsAdmin);

    /// <summary>Someone else's object answers exactly like a missing one.</summary>
    public bool MaySee(Guid ownerId) => IsAdmin || Id == ownerId;
}
