using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Users;

/// <summary>
/// The inline snapshot of <see cref="User"/>. Each event's effect is written once, in the domain
/// (<see cref="User.After(User, object)"/>): Marten's dispatch would be source-generated in this assembly, so it delegates.
/// It is asked only about the events marked <see cref="Conpaas.Domain.IEvolves{T}"/> for it.
/// </summary>
public sealed partial class UserProjection : SingleStreamProjection<User, Guid>
{
    public UserProjection()
    {
        foreach (var type in EventCatalog.Evolving<User>()) IncludeType(type);
    }

    public override User? Evolve(User? snapshot, Guid id, IEvent e) => User.After(snapshot, e.Data);
}
