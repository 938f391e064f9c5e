using Conpaas.Domain.Services;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Services;

/// <summary>
/// The inline snapshot of <see cref="Service"/>. Each event's effect is written once, in the domain
/// (<see cref="Service.After(Service, object)"/>): Marten's dispatch would be source-generated in this assembly, so it delegates.
/// It is asked only about the events marked <see cref="Conpaas.Domain.IEvolves{T}"/> for it.
/// </summary>
public sealed partial class ServiceProjection : SingleStreamProjection<Service, Guid>
{
    public ServiceProjection()
    {
        foreach (var type in EventCatalog.Evolving<Service>()) IncludeType(type);
    }

    public override Service? Evolve(Service? snapshot, Guid id, IEvent e) => Service.After(snapshot, e.Data);
}
