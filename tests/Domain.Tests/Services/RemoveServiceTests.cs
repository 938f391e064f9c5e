using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class RemoveServiceTests
{
    [Fact]
    public void when_a_service_that_never_started_is_removed_it_is_gone_at_once_and_its_subnet_returns_to_the_application()
    {
        var s = ServiceScenario.Added();

        var decision = s.Remove();

        Assert.Equal(["ServiceRemovalRequested", "ServiceRemoved"], decision.EventNames());
        var other = Assert.Single(decision.Others);
        Assert.Equal(AppId, other.StreamId);
        Assert.Equal(new ServiceSubnetReleased(ServiceId, FirstSubnet), other.Event);
        Assert.True(s.Service.Removed);
    }

    [Fact]
    public void when_a_stopped_service_is_removed_it_is_gone_at_once()
    {
        var s = ServiceScenarios.In(ServiceState.STOPPED);

        var decision = s.Remove();

        Assert.Equal(["ServiceRemovalRequested", "ServiceRemoved"], decision.EventNames());
        Assert.Equal([new ServiceSubnetReleased(ServiceId, FirstSubnet)], s.ApplicationEvents);
    }

    [Fact]
    public void when_a_running_service_is_removed_it_is_stopped_first_and_removed_after_the_last_vm_is_terminated()
    {
        var s = ServiceScenario.Running();

        var decision = s.Remove();

        Assert.Equal(["ServiceRemovalRequested", "ServiceStopRequested"], decision.EventNames());
        Assert.Equal(2, decision.OthersOf<VmTerminationRequested>().Count);
        Assert.DoesNotContain(decision.Others, o => o.StreamId == AppId);
        Assert.Equal(ServiceState.EPILOGUE, s.Service.State);
        Assert.False(s.Service.Removed);

        var first = s.Terminated(s.VmId(1));
        Assert.Equal(["NodeReleased"], first.EventNames());
        Assert.Empty(s.ApplicationEvents);

        var last = s.Terminated(s.VmId(2));
        Assert.Equal(["NodeReleased", "ServiceStopped", "ServiceRemoved"], last.EventNames());
        Assert.Equal([new ServiceSubnetReleased(ServiceId, FirstSubnet)], s.ApplicationEvents);
        Assert.True(s.Service.Removed);
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
    }

    [Fact]
    public void when_a_stopping_service_is_removed_the_removal_waits_for_the_stop()
    {
        var s = ServiceScenarios.In(ServiceState.EPILOGUE);

        var decision = s.Remove();

        Assert.Equal(["ServiceRemovalRequested"], decision.EventNames());
        Assert.Empty(decision.Others);
        s.TerminateAll();
        Assert.True(s.Service.Removed);
        Assert.Single(s.ApplicationEvents);
    }

    [Fact]
    public void when_a_booting_service_is_removed_the_late_ready_vm_is_not_recorded_running()
    {
        var s = ServiceScenario.Started();

        s.Remove();
        s.Ready(s.VmId(1));
        s.TerminateAll();

        Assert.True(s.Service.Removed);
        Assert.DoesNotContain(ServiceState.RUNNING, s.States);
        Assert.Empty(s.LiveVms);
    }

    [Fact]
    public void when_a_service_in_error_is_removed_it_waits_for_its_vms_then_goes()
    {
        var s = ServiceScenarios.In(ServiceState.ERROR);

        var decision = s.Remove();

        Assert.Equal(["ServiceRemovalRequested", "ServiceStopRequested"], decision.EventNames());
        Assert.Empty(decision.Others);
        s.TerminateAll();
        Assert.True(s.Service.Removed);
        Assert.Equal([new ServiceSubnetReleased(ServiceId, FirstSubnet)], s.ApplicationEvents);
    }

    [Fact]
    public void when_a_removal_is_asked_twice_the_second_changes_nothing()
    {
        var s = ServiceScenario.Running();
        s.Remove();

        RemoveService.Decide(s.Service).AssertNothing();
        s.TerminateAll();
        RemoveService.Decide(s.Service).AssertNothing();
        Assert.Single(s.ApplicationEvents);
    }

    [Fact]
    public void a_removed_service_cannot_be_started_again()
    {
        var s = ServiceScenario.Added();
        s.Remove();

        Assert.True(StartService.Decide(s.Service, null, s.Context).IsRefused);
    }

    [Fact]
    public void the_released_subnet_goes_to_the_next_service_added_but_the_sid_does_not()
    {
        var app = GivenApplication(AppCreated(), new ServiceSubnetAllocated(ServiceId, 1, FirstSubnet));
        var s = ServiceScenario.Running();
        s.Remove();
        s.TerminateAll();
        foreach (var e in s.ApplicationEvents) Apply(app, e);

        var next = AddService.Decide(app, Guid.NewGuid(), "php", null, GuidesVpn, Now).Single<ServiceSubnetAllocated>();

        Assert.Equal((2, FirstSubnet), (next.Sid, next.Subnet));
    }
}
