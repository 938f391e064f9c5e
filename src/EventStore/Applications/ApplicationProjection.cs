using Conpaas.Domain.Applications;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Applications;

/// <summary>
/// The inline snapshot of <see cref="Application"/>. Each event's effect is written once, in the domain
/// (<see cref="Application.After(Application, object)"/>): Marten's dispatch would be source-generated in this assembly, so it delegates.
/// </summary>
public sealed partial class ApplicationProjection : SingleStreamProjection<Application, Guid>
{
    public override Application? Evolve(Application? snapshot, Guid id, IEvent e) => Application.After(snapshot, e.Data);
}
