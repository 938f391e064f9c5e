using Conpaas.Domain.Applications;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Applications;

/// <summary>
/// The inline snapshot of <see cref="Application"/>. Each event's effect is written once, in the domain
/// (<see cref="Application.After(Application, object)"/>): Marten's dispatch would be source-generated in this assembly, so it delegates.
/// It is asked only about the events marked <see cref="Conpaas.Domain.IEvolves{T}"/> for it.
/// </summary>
public sealed partial class ApplicationProjection : SingleStreamProjection<Application, Guid>
{
    public ApplicationProjection()
    {
        foreach (var type in EventCatalog.Evolving<Application>()) IncludeType(type);
    }

    public override Application? Evolve(Application? snapshot, Guid id, IEvent e) => Application.After(snapshot, e.Data);
}
