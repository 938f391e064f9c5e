using Conpaas.Domain.Vms;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Vms;

/// <summary>
/// The inline snapshot of <see cref="Vm"/>: the ConPaaS resource list. Each event's effect is written once, in the domain
/// (<see cref="Vm.After(Vm, object)"/>): Marten's dispatch would be source-generated in this assembly, so it delegates.
/// It is asked only about the events marked <see cref="Conpaas.Domain.IEvolves{T}"/> for it.
/// </summary>
public sealed partial class VmProjection : SingleStreamProjection<Vm, Guid>
{
    public VmProjection()
    {
        foreach (var type in EventCatalog.Evolving<Vm>()) IncludeType(type);
    }

    public override Vm? Evolve(Vm? snapshot, Guid id, IEvent e) => Vm.After(snapshot, e.Data);
}
