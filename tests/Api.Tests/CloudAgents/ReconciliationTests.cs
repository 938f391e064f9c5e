using System.Diagnostics;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>
/// Each cloud's inventory against the event log, on the real local cloud (agent processes) and the sim cloud:
/// orphans are terminated after the grace period, vanished VMs become LOST and are replaced.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class ReconciliationTests(LocalCloudApp app) : IClassFixture<LocalCloudApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ICloudDriver Driver(string cloud) => app.Services.GetRequiredService<CloudDriverRegistry>().For(cloud);

    private TimeSpan Grace => app.Services.GetRequiredService<IOptions<AgentOptions>>().Value.OrphanGracePeriod;

    private static VmSpec Spec(string name)
    {
        var id = Guid.NewGuid();
        return new VmSpec(id, name, VmRole.AGENT, "helloworld",
            new BootContext(id, name, "AGENT", "node", "helloworld", null, null, [], null, "http://127.0.0.1:5555", "vm_none"));
    }

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private async Task<(CloudUser User, string AppId, string Id, JsonNode Running)> RunningService(string? cloud = null)
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);
        await user.Start(id, cloud);
        return (user, appId, id, await user.WaitFor(id, "RUNNING"));
    }

    /// <summary>LOST with the reason, a replacement running in its place, and the history saying so.</summary>
    private static async Task<JsonNode> AssertLostAndReplaced(CloudUser user, string id, JsonNode vanished, string cloud)
    {
        var healed = await Wait.Until(() => user.Service(id),
            s => s.Vm(vanished.Str("id")).Str("state") == "LOST" && s.Str("state") == "RUNNING" && s.LiveAgents().Count == 1,
            Wait.Long, $"{vanished.Str("name")} LOST and replaced");
        Assert.Equal($"the VM disappeared from cloud '{cloud}'", healed.Vm(vanished.Str("id")).Str("stateReason"));
        var replacement = Assert.Single(healed.LiveAgents());
        Assert.NotEqual(vanished.Str("name"), replacement.Str("name"));
        Assert.Equal(("RUNNING", cloud), (replacement.Str("state"), replacement.Str("cloud")));
        Assert.Equal(1, healed.Desired("node"));

        var history = await user.History(id);
        var lost = Assert.Single(history, e => e.Str("type") == "NodeLost");
        Assert.Equal(("system", vanished.Str("id")), (lost.Str("actor"), lost["data"]!.Str("vmId")));
        Assert.Contains(history, e => e.Str("type") == "NodesRequested" && e.Str("actor") == "system"
                                      && e["data"]!.Str("reason") == "Replacement"
                                      && e["data"]!.Items("nodes").Any(n => n.Str("name") == replacement.Str("name")));
        return healed;
    }

    private async Task StopAndCheckNothingLeft(CloudUser user, string id)
    {
        await user.Stop(id);
        var stopped = await user.WaitFor(id, "STOPPED");
        var names = stopped.Nodes().Select(n => n.Str("name")).ToList();
        await Wait.Eventually(() => !AgentProcess.Of(app.CloudDirectory).Any(a => names.Contains(a.VmName)), Wait.Short,
            "no agent process of the stopped service");
    }

    [Fact]
    public async Task an_agent_process_no_vm_record_knows_is_terminated_after_the_grace_period()
    {
        var local = Driver("default");
        var orphan = Spec($"conpaas-orphan{Unique()}");
        var foreign = Spec($"otherdirector-orphan{Unique()}");
        var created = Stopwatch.StartNew();
        await local.Create(orphan, Ct);
        await local.Create(foreign, Ct);
        Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == orphan.Name);
        Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);

        await Wait.Eventually(() => AgentProcess.Of(app.CloudDirectory).All(a => a.VmName != orphan.Name), Wait.Short,
            "the orphan agent terminated");
        Assert.True(created.Elapsed >= Grace, $"terminated after {created.Elapsed}, before the grace period of {Grace}");
        Assert.Null(await local.Describe(orphan.Name, Ct));
        Assert.False(Directory.Exists(Path.Combine(app.CloudDirectory, orphan.Name)));

        // A VM without this Director's deployment prefix belongs to someone else: left alone.
        Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);
        Assert.NotNull(await local.Describe(foreign.Name, Ct));
        await local.Terminate(foreign.Name, Ct);
        Assert.DoesNotContain(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);
    }

    [Fact]
    public async Task a_vm_the_sim_cloud_has_but_the_log_does_not_is_terminated_after_the_grace_period()
    {
        var sim = (SimDriver)Driver("sim");
        var orphan = Spec($"conpaas-orphan{Unique()}");
        var created = Stopwatch.StartNew();
        await sim.Create(orphan, Ct);

        await Wait.Eventually(() => !sim.Names.Contains(orphan.Name), Wait.Short, "the sim orphan terminated");
        Assert.True(created.Elapsed >= Grace, $"terminated after {created.Elapsed}, before the grace period of {Grace}");
    }

    [Fact]
    public async Task a_vm_whose_agent_process_and_folder_vanished_becomes_lost_and_is_replaced()
    {
        var (user, _, id, running) = await RunningService();
        var agent = Assert.Single(running.LiveAgents());
        var process = Assert.Single(AgentProcess.Of(app.CloudDirectory), a => a.VmName == agent.Str("name"));

        using (var p = Process.GetProcessById(process.Pid)) p.Kill();
        Directory.Delete(Path.Combine(app.CloudDirectory, agent.Str("name")), recursive: true);

        var healed = await AssertLostAndReplaced(user, id, agent, "default");
        var replacement = Assert.Single(healed.LiveAgents());
        Assert.Equal("Hello World", await AgentHttp.Get(replacement.Str("address")));
        Assert.Equal(healed.LiveNodes().Select(n => n.Str("name")).Order(),
            AgentProcess.Of(app.CloudDirectory).Select(a => a.VmName).Where(n => healed.Nodes().Any(v => v.Str("name") == n)).Order());
        await StopAndCheckNothingLeft(user, id);
    }

    [Fact]
    public async Task a_vm_that_vanished_from_the_sim_cloud_becomes_lost_and_is_replaced()
    {
        var (user, _, id, running) = await RunningService("sim");
        var agent = Assert.Single(running.LiveAgents());

        Assert.True(((SimDriver)Driver("sim")).Kill(agent.Str("name")));

        await AssertLostAndReplaced(user, id, agent, "sim");
        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
    }

    /// <summary>
    /// The VM's folder is deleted behind the Director's back while its agent keeps running: the record becomes LOST,
    /// and the process, which no live VM record has any more, must not outlive it (nor keep its address from the replacement).
    /// </summary>
    [Fact]
    public async Task an_agent_whose_folder_vanished_is_lost_and_its_process_does_not_outlive_the_record()
    {
        var (user, _, id, running) = await RunningService();
        var agent = Assert.Single(running.LiveAgents());
        var process = Assert.Single(AgentProcess.Of(app.CloudDirectory), a => a.VmName == agent.Str("name"));

        Directory.Delete(Path.Combine(app.CloudDirectory, agent.Str("name")), recursive: true);
        try
        {
            var healed = await AssertLostAndReplaced(user, id, agent, "default");
            var replacement = Assert.Single(healed.LiveAgents());
            Assert.Equal("Hello World", await AgentHttp.Get(replacement.Str("address")));
            await Wait.Eventually(() => AgentProcess.Of(app.CloudDirectory).All(a => a.Pid != process.Pid), Wait.Short,
                $"the agent process {process.Pid} of the lost VM {agent.Str("name")} terminated");
            await StopAndCheckNothingLeft(user, id);
        }
        finally
        {
            // Whatever the outcome, the leftover must not hold its address for the other tests of this fixture.
            if (AgentProcess.Of(app.CloudDirectory).Any(a => a.Pid == process.Pid))
                using (var p = Process.GetProcessById(process.Pid)) p.Kill();
        }
    }
}
