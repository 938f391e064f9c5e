using Conpaas.Fakes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>The local cloud with an orphan sweep too slow to hide a process the Director forgot to end.</summary>
public sealed class LocalCloudSlowSweep : LocalCloudApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Agents:OrphanGracePeriod"] = "00:10:00" };
}

[Collection(RealProcesses.Name)]
public sealed class StartStopRaceTests(LocalCloudSlowSweep app) : IClassFixture<LocalCloudSlowSweep>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task when_stops_race_starts_no_agent_process_outlives_its_vms_recorded_termination()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++) ids.Add(await user.AddService(appId));

        for (var round = 0; round < 5; round++)
        {
            // Each stop lands somewhere else in its VMs' creation: before the cloud is called, while it launches, after.
            await Task.WhenAll(ids.Select(async (id, k) =>
            {
                await user.Start(id);
                await Task.Delay(TimeSpan.FromMilliseconds(60 * ((round * ids.Count + k) % 9)), Ct);
                await user.Stop(id);
            }));
            foreach (var id in ids) await user.WaitFor(id, "STOPPED");

            // Every VM's termination is recorded now: its process must be gone within seconds, not at the orphan sweep.
            var vms = await user.Vms(appId, includeTerminated: true);
            Assert.All(vms, vm => Assert.Contains(vm.Str("state"), new[] { "TERMINATED", "FAILED" }));
            await Wait.Until(() => AgentProcess.Of(app.CloudDirectory), left => left.Count == 0, TimeSpan.FromSeconds(5),
                $"round {round}: no agent process once every VM is terminated");
        }
    }

    [Fact]
    public async Task a_machine_the_cloud_still_has_for_a_vm_recorded_terminated_is_ended_within_a_reconciliation_round()
    {
        var (user, id, running) = await Recon.RunningService(app);
        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
        var name = running.LiveAgents()[0].Str("name");

        // What a create that finished after the stop leaves behind when its node dies before ending it. A reconciliation
        // round may end that machine while it is still starting: the create then fails, as it should.
        try
        {
            await Recon.Driver(app, "default").Create(Recon.Spec(name), Ct);
        }
        catch (Conpaas.CloudAgents.Drivers.CloudDriverException ex)
        {
            Assert.Contains("did not start", ex.Message);
        }

        await Wait.Eventually(() => AgentProcess.Of(app.CloudDirectory).All(a => a.VmName != name), TimeSpan.FromSeconds(5),
            $"the agent of {name}, recorded terminated, ended long before the {Recon.Grace(app)} orphan grace period");
    }
}
