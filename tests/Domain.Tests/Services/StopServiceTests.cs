using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class StopServiceTests
{
    [Fact]
    public void when_a_running_service_is_stopped_every_vm_is_released_and_it_is_stopped_after_the_last_one()
    {
        var s = ServiceScenario.Running("php");

        var stop = s.Stop();

        Assert.Equal([new ServiceStopRequested(StopService.ByUser)], stop.Events);
        Assert.Equal(s.Vms.Keys.Order(), stop.Others.Select(o => o.StreamId).Order());
        Assert.All(stop.Others, o => Assert.Equal(new VmTerminationRequested("stopped by the user"), o.Event));
        Assert.Equal(ServiceState.EPILOGUE, s.Service.State);
        Assert.Equal("stopped by the user", s.Service.StateReason);
        Assert.All(s.Vms.Values, v => Assert.Equal(VmState.TERMINATING, v.State));

        s.TerminateAll();

        Assert.Equal(ServiceState.STOPPED, s.Service.State);
        Assert.Empty(s.Service.Nodes);
        Assert.Equal("backend=0, proxy=0, web=0", Counts(s.Service.DesiredCounts));
        Assert.All(s.Vms.Values, v => Assert.Equal(VmState.TERMINATED, v.State));
    }

    [Theory]
    [InlineData(ServiceState.INIT)]
    [InlineData(ServiceState.STOPPED)]
    public void when_nothing_runs_stopping_is_refused_with_the_conpaas_message(ServiceState state)
    {
        var s = ServiceScenarios.In(state);

        var error = StopService.Decide(s.Service).Refused(ErrorCode.CONFLICT);

        Assert.Equal($"Wrong service state: was expecting one of [PROLOGUE, RUNNING, ADAPTING, ERROR] but current state is '{state}'", error.Message);
    }

    [Fact]
    public void when_a_stopping_service_is_stopped_again_nothing_happens()
    {
        var s = ServiceScenarios.In(ServiceState.EPILOGUE);

        StopService.Decide(s.Service).AssertNothing();
    }

    [Fact]
    public void when_a_service_in_error_holds_no_vm_any_more_a_stop_stops_it_at_once()
    {
        var s = ServiceScenarios.In(ServiceState.ERROR);
        s.TerminateAll();
        Assert.Empty(s.Service.Nodes);

        var stop = s.Stop();

        Assert.Equal(["ServiceStopRequested", "ServiceStopped"], stop.EventNames());
        Assert.Empty(stop.Others);
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
    }

    [Fact]
    public void when_a_service_in_error_is_stopped_while_its_vms_are_still_going_it_asks_nothing_twice()
    {
        var s = ServiceScenarios.In(ServiceState.ERROR);

        var stop = s.Stop();

        Assert.Equal(["ServiceStopRequested"], stop.EventNames());
        Assert.Empty(stop.Others);
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
        Assert.Equal("stopped by the user", s.Service.StateReason);
    }

    [Fact]
    public void when_a_service_is_stopped_while_nodes_are_being_removed_those_are_not_asked_to_terminate_twice()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 2, null));
        s.ReadyAll();
        s.RemoveNodes(new NodeCount(null, 1, null));

        var stop = s.Stop();

        Assert.Equal(4, s.Vms.Count);
        Assert.DoesNotContain(stop.Others, o => o.StreamId == s.VmId(4));
        Assert.Equal(3, stop.Others.Count);
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
    }

    [Fact]
    public void when_a_service_is_stopped_while_adding_nodes_the_new_vms_are_released_too()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 2, null));
        s.Ready(s.VmId(3));

        var stop = s.Stop();
        var late = s.Ready(s.VmId(4));

        Assert.Equal(4, stop.Others.Count);
        Assert.Empty(late.Events);
        Assert.NotEqual(VmState.RUNNING, s.Vms[s.VmId(4)].State);
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
        Assert.Empty(s.LiveVms);
    }

    [Fact]
    public void when_a_vm_is_lost_while_the_service_is_stopping_it_counts_as_released()
    {
        var s = ServiceScenario.Running();
        s.Stop();
        s.Terminated(s.VmId(1));

        var lost = s.Lost(s.VmId(2));

        Assert.Equal(["NodeLost", "ServiceStopped"], lost.EventNames());
        Assert.DoesNotContain(lost.Events, e => e is NodesRequested);
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
        Assert.Equal(VmState.LOST, s.Vms[s.VmId(2)].State);
    }
}
