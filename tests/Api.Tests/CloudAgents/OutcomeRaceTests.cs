using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Outcomes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>
/// The same cloud answer delivered several times at once, as duplicate messages do (a redelivery after a crash, a
/// readiness check handed out again by reconciliation): each outcome is recorded once, and a duplicate never
/// undoes the first. The test plays the cloud through the host's real <see cref="VmOutcomeRecorder"/>.
/// </summary>
public sealed class OutcomeRaceTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const int Duplicates = 12;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private VmOutcomeRecorder Recorder => app.Services.GetRequiredService<VmOutcomeRecorder>();

    private Task Record(VmOutcome outcome) => Recorder.Record(outcome, Ct);

    /// <summary>The same outcome from several handlers at once: all wait at one gate, then race.</summary>
    private async Task RecordAtOnce(Func<VmOutcome> outcome)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, Duplicates).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            await Record(outcome());
        }, Ct)).ToList();
        await Task.Delay(50, Ct); // every racer is waiting at the gate
        gate.SetResult();
        await Task.WhenAll(racers);
    }

    private static Guid Id(JsonNode vm) => Guid.Parse(vm.Str("id"));

    private static string Types(IEnumerable<JsonNode> history) => string.Join(", ", history.Select(e => $"{e.Int("version")}:{e.Str("type")}"));

    /// <summary>A started helloworld service whose two VMs the cloud has made (BOOTING).</summary>
    private async Task<(CloudUser User, string Id, JsonNode Manager, JsonNode Agent)> Booting()
    {
        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        var started = await user.Start(id);
        var manager = Assert.Single(started.LiveNodes(), n => n.Str("role") == "MANAGER");
        var agent = Assert.Single(started.LiveAgents());
        var port = 30000 + Random.Shared.Next(10000);
        foreach (var vm in new[] { manager, agent })
        {
            await Record(new VmOutcome.Provisioning(Id(vm)));
            await Record(new VmOutcome.Created(Id(vm), "sim-" + vm.Str("id")[..8], $"127.0.0.1:{port++}"));
        }

        return (user, id, manager, agent);
    }

    [Fact]
    public async Task a_ready_answer_delivered_several_times_at_once_makes_the_vm_running_once_and_never_terminates_it()
    {
        var (user, id, manager, agent) = await Booting();
        await Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:1"));

        await RecordAtOnce(() => new VmOutcome.Ready(Id(agent), "127.0.0.1:2"));

        var service = await user.Service(id);
        var history = await user.History(agent.Str("id"));
        Assert.True(service.Vm(agent.Str("id")).Str("state") == "RUNNING",
            $"the agent is {service.Vm(agent.Str("id")).Str("state")} ({service.Vm(agent.Str("id")).StrOrNull("stateReason")}); its history: {Types(history)}");
        Assert.Equal("RUNNING", service.Str("state"));
        Assert.Equal(2, service.LiveNodes().Count);
        Assert.Single(history, e => e.Str("type") == "VmReady");
        Assert.DoesNotContain(history, e => e.Str("type") == "VmTerminationRequested");
    }

    [Fact]
    public async Task a_created_answer_delivered_several_times_at_once_is_recorded_once()
    {
        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        var agent = Assert.Single((await user.Start(id)).LiveAgents());
        await Record(new VmOutcome.Provisioning(Id(agent)));

        await RecordAtOnce(() => new VmOutcome.Created(Id(agent), "sim-1", "127.0.0.1:3"));

        var history = await user.History(agent.Str("id"));
        Assert.True(history.Count(e => e.Str("type") == "VmCreated") == 1, $"VmCreated more than once: {Types(history)}");
        Assert.Equal("BOOTING", (await user.Service(id)).Vm(agent.Str("id")).Str("state"));
    }

    [Fact]
    public async Task a_created_answer_redelivered_after_the_vm_is_running_does_not_take_it_back_to_booting()
    {
        var (user, id, manager, agent) = await Booting();
        await Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:1"));

        // A late duplicate of the create and the readiness answer, racing.
        await Task.WhenAll(
            Task.Run(() => RecordAtOnce(() => new VmOutcome.Created(Id(agent), "sim-1", "127.0.0.1:2")), Ct),
            Task.Run(() => RecordAtOnce(() => new VmOutcome.Ready(Id(agent), "127.0.0.1:2")), Ct));

        var service = await user.Service(id);
        var history = await user.History(agent.Str("id"));
        Assert.True(service.Vm(agent.Str("id")).Str("state") == "RUNNING",
            $"the agent is {service.Vm(agent.Str("id")).Str("state")}; its history: {Types(history)}");
        Assert.True(history.Count(e => e.Str("type") == "VmCreated") == 1, $"VmCreated more than once: {Types(history)}");
        Assert.Equal("RUNNING", service.Str("state"));
    }

    [Fact]
    public async Task a_terminated_answer_delivered_several_times_at_once_is_recorded_once_and_the_service_stops()
    {
        var (user, id, manager, agent) = await Booting();
        await Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:1"));
        await Record(new VmOutcome.Ready(Id(agent), "127.0.0.1:2"));
        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));

        await RecordAtOnce(() => new VmOutcome.Terminated(Id(agent)));
        await RecordAtOnce(() => new VmOutcome.Terminated(Id(manager)));

        var service = await user.Service(id);
        Assert.Equal("STOPPED", service.Str("state"));
        foreach (var vm in new[] { manager, agent })
        {
            var history = await user.History(vm.Str("id"));
            Assert.True(history.Count(e => e.Str("type") == "VmTerminated") == 1, $"{vm.Str("name")} terminated more than once: {Types(history)}");
        }

        Assert.Single(await user.History(id), e => e.Str("type") == "ServiceStopped");
    }
}
