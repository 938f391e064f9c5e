using Conpaas.Fakes;
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

/// <summary>What the reconciliation tests share: a running service, an orphan, and the checks of a VM LOST and replaced.</summary>
internal static class Recon
{
    public static ICloudDriver Driver(LocalCloudApp app, string cloud) => app.Services.GetRequiredService<CloudDriverRegistry>().For(cloud);

    public static TimeSpan Grace(LocalCloudApp app) => app.Services.GetRequiredService<IOptions<AgentOptions>>().Value.OrphanGracePeriod;

    public static VmSpec Spec(string name)
    {
        var id = Guid.NewGuid();
        return new VmSpec(id, name, VmRole.AGENT, "helloworld",
            new BootContext(id, name, "AGENT", "node", "helloworld", null, null, [], null, "http://127.0.0.1:5555", "vm_none"));
    }

    public static string Unique() => Guid.NewGuid().ToString("N")[..8];

    public static async Task<(CloudUser User, string Id, JsonNode Running)> RunningService(LocalCloudApp app, string? cloud = null)
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);
        await user.Start(id, cloud);
        return (user, id, await user.WaitFor(id, "RUNNING"));
    }

    /// <summary>LOST with the reason, a replacement running in its place, and the history saying so.</summary>
    public static async Task<JsonNode> AssertLostAndReplaced(CloudUser user, string id, JsonNode vanished, string cloud, TimeSpan? timeout = null)
    {
        var healed = await Wait.Until(() => user.Service(id),
            s => s.Vm(vanished.Str("id")).Str("state") == "LOST" && s.Str("state") == "RUNNING" && s.LiveAgents().Count == 1,
            timeout ?? Wait.Long, $"{vanished.Str("name")} LOST and replaced");
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

    public static async Task StopAndCheckNothingLeft(LocalCloudApp app, CloudUser user, string id)
    {
        await user.Stop(id);
        var stopped = await user.WaitFor(id, "STOPPED");
        var names = stopped.Nodes().Select(n => n.Str("name")).ToList();
        await Wait.Eventually(() => !AgentProcess.Of(app.CloudDirectory).Any(a => names.Contains(a.VmName)), Wait.Short,
            "no agent process of the stopped service");
    }

    /// <summary>An agent process of this deployment that no VM record knows is terminated, and not before the grace period.</summary>
    public static async Task AssertLocalOrphanTerminated(LocalCloudApp app)
    {
        var local = Driver(app, "default");
        var orphan = Spec($"conpaas-orphan{Unique()}");
        var foreign = Spec($"otherdirector-orphan{Unique()}");
        var created = Stopwatch.StartNew();
        await local.Create(orphan, Wait.Ct);
        await local.Create(foreign, Wait.Ct);
        try
        {
            Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == orphan.Name);
            Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);

            await Wait.Eventually(() => AgentProcess.Of(app.CloudDirectory).All(a => a.VmName != orphan.Name), Wait.Short,
                "the orphan agent terminated");
            Assert.True(created.Elapsed >= Grace(app), $"terminated after {created.Elapsed}, before the grace period of {Grace(app)}");
            Assert.Null(await local.Describe(orphan.Name, Wait.Ct));
            // The folder goes right after the process.
            await Wait.Eventually(() => !Directory.Exists(Path.Combine(app.CloudDirectory, orphan.Name)), Wait.Short, "the orphan's folder removed");

            // A VM without this Director's deployment prefix belongs to someone else: left alone.
            Assert.Contains(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);
            Assert.NotNull(await local.Describe(foreign.Name, Wait.Ct));
        }
        finally
        {
            await local.Terminate(orphan.Name, Wait.Ct);
            await local.Terminate(foreign.Name, Wait.Ct);
        }

        Assert.DoesNotContain(AgentProcess.Of(app.CloudDirectory), a => a.VmName == foreign.Name);
    }
}

/// <summary>
/// Each cloud's inventory against the event log, with two clouds (the local one, with agent processes, and a sim
/// one): orphans are terminated after the grace period, vanished VMs become LOST and are replaced.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class ReconciliationTests(LocalCloudApp app) : IClassFixture<LocalCloudApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task an_agent_process_no_vm_record_knows_is_terminated_after_the_grace_period() => Recon.AssertLocalOrphanTerminated(app);

    [Fact]
    public async Task a_vm_the_sim_cloud_has_but_the_log_does_not_is_terminated_after_the_grace_period()
    {
        var sim = (SimDriver)((MeteredDriver)Recon.Driver(app, "sim")).Inner;
        var orphan = Recon.Spec($"conpaas-orphan{Recon.Unique()}");
        var created = Stopwatch.StartNew();
        await sim.Create(orphan, Ct);

        await Wait.Eventually(() => !sim.Names.Contains(orphan.Name), Wait.Short, "the sim orphan terminated");
        Assert.True(created.Elapsed >= Recon.Grace(app), $"terminated after {created.Elapsed}, before the grace period of {Recon.Grace(app)}");
    }

    [Fact]
    public async Task a_vm_whose_agent_process_and_folder_vanished_becomes_lost_and_is_replaced()
    {
        var (user, id, running) = await Recon.RunningService(app);
        var agent = Assert.Single(running.LiveAgents());
        var process = Assert.Single(AgentProcess.Of(app.CloudDirectory), a => a.VmName == agent.Str("name"));

        using (var p = Process.GetProcessById(process.Pid)) p.Kill();
        Directory.Delete(Path.Combine(app.CloudDirectory, agent.Str("name")), recursive: true);

        var healed = await Recon.AssertLostAndReplaced(user, id, agent, "default");
        var replacement = Assert.Single(healed.LiveAgents());
        Assert.Equal("Hello World", await AgentHttp.Get(replacement.Str("address")));
        Assert.Equal(healed.LiveNodes().Select(n => n.Str("name")).Order(),
            AgentProcess.Of(app.CloudDirectory).Select(a => a.VmName).Where(n => healed.Nodes().Any(v => v.Str("name") == n)).Order());
        await Recon.StopAndCheckNothingLeft(app, user, id);
    }

    [Fact]
    public async Task a_vm_that_vanished_from_the_sim_cloud_becomes_lost_and_is_replaced()
    {
        var (user, id, running) = await Recon.RunningService(app, "sim");
        var agent = Assert.Single(running.LiveAgents());

        Assert.True(((SimDriver)((MeteredDriver)Recon.Driver(app, "sim")).Inner).Kill(agent.Str("name")));

        await Recon.AssertLostAndReplaced(user, id, agent, "sim");
        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
    }
}

/// <summary>The local cloud alone (no sim cloud next to it).</summary>
public sealed class LocalCloudOnly : LocalCloudApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        base.Settings.Where(s => !s.Key.StartsWith("Clouds:sim:", StringComparison.Ordinal)).ToDictionary(s => s.Key, s => s.Value);
}

/// <summary>The orphan check again with a single cloud configured: compared with the two-cloud fixture, it shows what the second cloud changes.</summary>
[Collection(RealProcesses.Name)]
public sealed class SingleCloudReconciliationTests(LocalCloudOnly app) : IClassFixture<LocalCloudOnly>
{
    [Fact]
    public Task with_one_cloud_an_orphan_agent_process_is_terminated_after_the_grace_period() => Recon.AssertLocalOrphanTerminated(app);
}

/// <summary>
/// The VM's folder is deleted behind the Director's back while its agent keeps running (a fixture of its own: when this
/// goes wrong, the cloud is left in a state no other test should share).
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class VanishedFolderTests(LocalCloudApp app) : IClassFixture<LocalCloudApp>
{
    /// <summary>
    /// The local cloud knows its VMs by their processes (as an operator would, with ps): an agent whose folder
    /// was deleted still runs and answers, so its VM stays RUNNING, keeps its address from any new VM, and is
    /// still terminated when the service stops.
    /// </summary>
    [Fact]
    public async Task an_agent_whose_folder_vanished_still_runs_keeps_its_address_and_is_terminated_at_stop()
    {
        var (user, id, running) = await Recon.RunningService(app);
        var agent = Assert.Single(running.LiveAgents());
        var process = Assert.Single(AgentProcess.Of(app.CloudDirectory), a => a.VmName == agent.Str("name"));

        Directory.Delete(Path.Combine(app.CloudDirectory, agent.Str("name")), recursive: true);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken); // a few reconciliation rounds
            Assert.Equal("Hello World", await AgentHttp.Get(agent.Str("address")));
            await user.Client.Ok("mutation($s: ID!) { addNodes(serviceId: $s, nodes: [{count: 1}]) { state } }", new { s = id });
            var scaled = await Wait.Until(
                async () => (await user.Client.Ok("query($s: ID!) { service(id: $s) { state nodes { name state address } } }", new { s = id }))["service"]!,
                s => s["state"]!.GetValue<string>() == "RUNNING", Wait.Short, "the added node is RUNNING");
            var addresses = scaled["nodes"]!.AsArray().Where(n => n!["state"]!.GetValue<string>() == "RUNNING")
                .Select(n => n!["address"]!.GetValue<string>()).ToList();
            Assert.Equal(addresses.Count, addresses.Distinct().Count());
            await Recon.StopAndCheckNothingLeft(app, user, id);
            Assert.DoesNotContain(AgentProcess.Of(app.CloudDirectory), a => a.Pid == process.Pid);
        }
        finally
        {
            // Whatever the outcome, the leftover must not outlive the fixture.
            if (AgentProcess.Of(app.CloudDirectory).Any(a => a.Pid == process.Pid))
                using (var p = Process.GetProcessById(process.Pid)) p.Kill();
        }
    }
}
