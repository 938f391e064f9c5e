using Conpaas.Domain.Users;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Users;

/// <summary>
/// The inline snapshot of <see cref="User"/>. Marten's dispatch is source-generated in the assembly that
/// declares the projection, so the BCL-only domain keeps the rules and this class only routes events to them.
/// </summary>
public sealed partial class UserProjection : SingleStreamProjection<User, Guid>
{
    public static User Create(UserRegistered e) => User.Create(e);
    public static void Apply(PasswordChanged e, User user) => user.Apply(e);
    public static void Apply(CreditGranted e, User user) => user.Apply(e);
    public static void Apply(CreditCharged e, User user) => user.Apply(e);
}
