using Conpaas.Domain.Applications;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Applications;

/// <summary>The inline snapshot of <see cref="Application"/> (the rules live in the domain; see UserProjection).</summary>
public sealed partial class ApplicationProjection : SingleStreamProjection<Application, Guid>
{
    public static Application Create(ApplicationCreated e) => Application.Create(e);
    public static void Apply(ApplicationRenamed e, Application a) => a.Apply(e);
    public static void Apply(ServiceSubnetAllocated e, Application a) => a.Apply(e);
    public static void Apply(ServiceSubnetReleased e, Application a) => a.Apply(e);
    public static void Apply(ApplicationDeleted e, Application a) => a.Apply(e);
}
