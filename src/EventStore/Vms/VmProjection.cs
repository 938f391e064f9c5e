using Conpaas.Domain.Vms;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Vms;

/// <summary>The inline snapshot of <see cref="Vm"/>: the ConPaaS resource list.</summary>
public sealed partial class VmProjection : SingleStreamProjection<Vm, Guid>
{
    public static Vm Create(VmRequested e) => Vm.Create(e);
    public static void Apply(VmProvisioning e, Vm vm) => vm.Apply(e);
    public static void Apply(VmCreated e, Vm vm) => vm.Apply(e);
    public static void Apply(VmReady e, Vm vm) => vm.Apply(e);
    public static void Apply(VmTerminationRequested e, Vm vm) => vm.Apply(e);
    public static void Apply(VmTerminated e, Vm vm) => vm.Apply(e);
    public static void Apply(VmFailed e, Vm vm) => vm.Apply(e);
    public static void Apply(VmLost e, Vm vm) => vm.Apply(e);
    public static void Apply(VmCharged e, Vm vm) => vm.Apply(e);
}
