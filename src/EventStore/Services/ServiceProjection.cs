using Conpaas.Domain.Services;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Services;

/// <summary>The inline snapshot of <see cref="Service"/>.</summary>
public sealed partial class ServiceProjection : SingleStreamProjection<Service, Guid>
{
    public static Service Create(ServiceAdded e) => Service.Create(e);
    public static void Apply(ServiceRenamed e, Service s) => s.Apply(e);
    public static void Apply(ServiceStartRequested e, Service s) => s.Apply(e);
    public static void Apply(NodesRequested e, Service s) => s.Apply(e);
    public static void Apply(NodeReady e, Service s) => s.Apply(e);
    public static void Apply(NodesRemovalRequested e, Service s) => s.Apply(e);
    public static void Apply(NodeReleased e, Service s) => s.Apply(e);
    public static void Apply(NodeLost e, Service s) => s.Apply(e);
    public static void Apply(NodeFailed e, Service s) => s.Apply(e);
    public static void Apply(ServiceRunning e, Service s) => s.Apply(e);
    public static void Apply(ServiceStopRequested e, Service s) => s.Apply(e);
    public static void Apply(ServiceStopped e, Service s) => s.Apply(e);
    public static void Apply(ServiceFailed e, Service s) => s.Apply(e);
    public static void Apply(ServiceRemovalRequested e, Service s) => s.Apply(e);
    public static void Apply(ServiceRemoved e, Service s) => s.Apply(e);
    // A service's files are the data-files slice's read model; applied here only so that the service's version stays its stream's.
    public static void Apply(Domain.Files.ServiceFileSet e, Service s) { }
}
