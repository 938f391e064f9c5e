using System.Diagnostics;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>
/// Sim clouds with failures (a fixed seed), a cloud whose VMs take minutes to boot, one whose creates are slow,
/// and two misconfigured ec2 clouds. Everything the host logs is kept, to see which failures really happened.
/// </summary>
public class SimClouds : LocalCloudApp
{
    public CapturedLogs Logs { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Clouds:flaky:Driver"] = "sim",
        ["Clouds:flaky:Keys:ERROR_RATE"] = "0.2",
        ["Clouds:flaky:Keys:CREATED_BUT_ERROR_RATE"] = "0.3",
        ["Clouds:flaky:Keys:DUPLICATE_RATE"] = "0.3",
        ["Clouds:flaky:Keys:SEED"] = "7",
        ["Clouds:steady:Driver"] = "sim",
        ["Clouds:broken:Driver"] = "sim",
        ["Clouds:broken:Keys:ERROR_RATE"] = "1",
        ["Clouds:slow-boot:Driver"] = "sim",
        ["Clouds:slow-boot:Keys:BOOT_MS"] = "600000",
        ["Clouds:slow-create:Driver"] = "sim",
        ["Clouds:slow-create:Keys:LATENCY_MS"] = "2500",
        ["Clouds:ec2-eu:Driver"] = "ec2",
        ["Clouds:ec2-half:Driver"] = "ec2",
        ["Clouds:ec2-half:Keys:USER"] = "me",
        ["Clouds:ec2-half:Keys:PASSWORD"] = "secret",
        ["Clouds:ec2-half:Keys:SECURITY_GROUP_NAME"] = "default",
        ["Clouds:ec2-half:Keys:KEY_NAME"] = "conpaas",
        ["Clouds:ec2-half:Keys:REGION"] = "eu-west-1",
        ["Clouds:ec2-half:Keys:IMAGE_ID"] = "",
        ["Clouds:ec2-half:Keys:SIZE_ID"] = "t3.small",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(l => l.AddProvider(Logs));
    }

    public SimDriver Sim(string cloud) => (SimDriver)((MeteredDriver)Services.GetRequiredService<CloudDriverRegistry>().For(cloud)).Inner;

    public async Task<IReadOnlyList<Vm>> VmRecords(Func<Vm, bool> which)
    {
        await using var session = Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<Vm>().ToListAsync(TestContext.Current.CancellationToken)).Where(which).ToList();
    }
}

/// <summary>A sim cloud whose VMs never answer, with a readiness timeout of 2 s.</summary>
public sealed class NeverReadyCloud : LocalCloudApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Clouds:never:Driver"] = "sim",
        ["Clouds:never:Keys:NEVER_READY_RATE"] = "1",
        ["Agents:ReadinessTimeout"] = "00:00:02",
    };

    public SimDriver Sim(string cloud) => (SimDriver)((MeteredDriver)Services.GetRequiredService<CloudDriverRegistry>().For(cloud)).Inner;
}

public sealed class SimCloudTests(SimClouds app) : IClassFixture<SimClouds>
{
    private static async Task AssertNeverReady(CloudUser user, IEnumerable<JsonNode> vms)
    {
        foreach (var vm in vms)
        {
            var history = await user.History(vm.Str("id"));
            Assert.DoesNotContain(history, e => e.Str("type") == "VmReady");
            Assert.Contains(history, e => e.Str("type") == "VmTerminated");
        }
    }

    [Fact]
    public async Task a_flaky_cloud_still_ends_running_and_never_makes_a_second_vm_for_one_name()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        await user.Start(id, "flaky");
        await user.WaitFor(id, "RUNNING");
        await user.AddNodes(id, 6);
        var running = await user.WaitFor(id, "RUNNING");

        var vms = running.Nodes();
        Assert.Equal(8, vms.Count);
        Assert.All(vms, vm => Assert.Equal("RUNNING", vm.Str("state")));
        Assert.Equal(7, running.Desired("node"));

        // One machine per name at the cloud, whatever was retried.
        var names = vms.Select(v => v.Str("name")).ToHashSet();
        var sim = app.Sim("flaky");
        Assert.Equal(names.Count, sim.CreatedCount);
        Assert.Equal(names.Order(), sim.Names.Order());
        foreach (var vm in vms)
        {
            var history = await user.History(vm.Str("id"));
            Assert.Single(history, e => e.Str("type") == "VmCreated");
            Assert.Single(history, e => e.Str("type") == "VmReady");
        }

        // The seed makes the cloud fail, and some of those failures happened after the VM was made.
        var failures = app.Logs.Lines.Where(l => l.Contains("simulated", StringComparison.Ordinal)).ToList();
        foreach (var line in failures) Wait.Log(line);
        Assert.Contains(failures, l => l.Contains("simulated cloud error", StringComparison.Ordinal));
        Assert.Contains(failures, l => l.Contains("simulated error after the VM was created", StringComparison.Ordinal));

        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
        Assert.Empty(sim.Names.Intersect(names));
    }

    [Fact]
    public async Task a_cloud_that_keeps_failing_is_retried_with_backoff_then_the_service_ends_in_error_with_the_drivers_message()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);
        var clock = Stopwatch.StartNew();

        // Polled, not tracked: a tracked session does not see the message given up on (a custom error action) as done.
        await user.Start(id, "broken");
        var failed = await user.WaitFor(id, "ERROR", Wait.Long);
        var elapsed = clock.Elapsed;

        var culprit = Assert.Single(failed.Nodes(), n => failed.Str("stateReason").Contains($"VM {n.Str("name")} failed"));
        Assert.Contains("simulated cloud error", failed.Str("stateReason"));
        Assert.Equal("FAILED", culprit.Str("state"));
        Assert.Equal("The cloud refused the VM: simulated cloud error", culprit.Str("stateReason"));
        await Wait.Until(() => user.Vms(appId, includeTerminated: false), vms => vms.Count == 0, Wait.Short, "every VM released");

        // Backoff: the retries of one VM wait 1, 2, 4, 8 and 16 s (Wolverine's policy), and there is one chain of them.
        Assert.True(elapsed >= TimeSpan.FromSeconds(25), $"ERROR after {elapsed}: the retries did not back off");
        var name = culprit.Str("name");
        var retries = app.Logs.Lines.Where(l => l.Contains($"Creating {name} failed", StringComparison.Ordinal)).ToList();
        Wait.Log($"{retries.Count} failed creates of {name} logged before it was given up; reconciler re-deliveries: "
                 + app.Logs.Lines.Count(l => l.Contains($"VM {name} has been", StringComparison.Ordinal)));
        Assert.True(retries.Count <= ProvisionVmHandler.Backoff.Length,
            $"{retries.Count} retried creates of {name}, more than the {ProvisionVmHandler.Backoff.Length} retries of one backoff chain:\n"
            + string.Join("\n", retries));
        // A retry is expected: a warning line each, no stack trace; one error when the cloud is given up on.
        Assert.All(retries, l => Assert.StartsWith("Warning", l));
        Assert.DoesNotContain(app.Logs.Entries, e => e.Exception is CloudDriverException);
        Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains($"Creating VM {culprit.Str("id")} failed after"));
    }

    [Fact]
    public async Task a_scale_out_whose_new_vm_the_cloud_keeps_refusing_leaves_the_running_nodes_alone()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);
        // The steady cloud's VMs are ready at once: starting is one message chain.
        await app.Settled(() => user.Start(id, "steady"));
        var before = await user.Service(id);
        Assert.Equal("RUNNING", before.Str("state"));

        // Three new agents in one request; the cloud of one of them refuses every attempt.
        var adding = await user.AddNodes(id, (2, "steady"), (1, "broken"));
        Assert.Equal("ADAPTING", adding.Str("state"));
        var doomed = Assert.Single(adding.LiveAgents(), n => n.Str("cloud") == "broken");
        // Polled (the chain ends in the VM given up on, which a tracked session does not see as done); WaitFor fails at
        // once should the service pass through ERROR.
        var after = await user.WaitFor(id, "RUNNING", Wait.Long);

        Assert.Contains($"VM {doomed.Str("name")} failed", after.Str("stateReason"));
        Assert.Contains("simulated cloud error", after.Str("stateReason"));
        Assert.Equal(4, after.LiveNodes().Count);
        Assert.All(after.LiveNodes(), n => Assert.Equal("RUNNING", n.Str("state")));
        Assert.All(before.LiveNodes(), n => Assert.Equal("RUNNING", after.Vm(n.Str("id")).Str("state")));
        Assert.Equal(3, after.Desired("node"));
        var failed = after.Vm(doomed.Str("id"));
        Assert.Equal(("FAILED", "The cloud refused the VM: simulated cloud error"), (failed.Str("state"), failed.Str("stateReason")));
        Assert.Contains(await user.History(doomed.Str("id")), e => e.Str("type") == "VmFailed");

        await app.Settled(() => user.Stop(id));
        Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task a_stop_while_the_vms_boot_ends_stopped_and_no_vm_is_ever_running()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        await user.Start(id, "slow-boot");
        var booting = await Wait.Until(() => user.Service(id), s => s.Nodes().All(n => n.Str("state") == "BOOTING"), Wait.Short,
            "every VM created and booting");
        Assert.Equal("PROLOGUE", booting.Str("state"));

        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));
        var stopped = await user.WaitFor(id, "STOPPED");
        Assert.Equal("stopped by the user", stopped.StrOrNull("stateReason"));
        Assert.Equal(2, stopped.Nodes().Count);
        Assert.All(stopped.Nodes(), n => Assert.Equal("TERMINATED", n.Str("state")));
        await AssertNeverReady(user, stopped.Nodes());
        Assert.Empty(app.Sim("slow-boot").Names.Intersect(stopped.Nodes().Select(n => n.Str("name"))));
        Assert.Empty(await user.Vms(appId, includeTerminated: false));
    }

    [Fact]
    public async Task a_stop_while_the_cloud_is_still_creating_leaves_no_vm_at_the_cloud()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        // Each create takes 2.5 s: the stop comes while the cloud is still making the VMs.
        await user.Start(id, "slow-create");
        await Wait.Until(() => user.Service(id), s => s.Nodes().Any(n => n.Str("state") == "PROVISIONING"), Wait.Short,
            "a VM being created");
        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));

        var stopped = await user.WaitFor(id, "STOPPED");
        Assert.All(stopped.Nodes(), n => Assert.Equal("TERMINATED", n.Str("state")));
        await AssertNeverReady(user, stopped.Nodes());
        // A create that finished after its VM was terminated leaves a machine that the log does not know: reconciliation
        // terminates it after the grace period.
        var names = stopped.Nodes().Select(n => n.Str("name")).ToList();
        await Wait.Eventually(() => !app.Sim("slow-create").Names.Intersect(names).Any(), Wait.Short,
            "no VM of the stopped service left at the cloud");
    }

    [Fact]
    public async Task clouds_lists_each_cloud_with_its_health_and_the_conpaas_problem_messages()
    {
        var clouds = (await app.Client().Ok("{ clouds { name driver isDefault healthy problems } }"))["clouds"]!.AsArray()
            .ToDictionary(c => c!.Str("name"), c => c!);

        Assert.Equal("default", clouds.Keys.First());
        Assert.Equal(("local", true, true), (clouds["default"]!.Str("driver"), clouds["default"]!["isDefault"]!.GetValue<bool>(),
            clouds["default"]!["healthy"]!.GetValue<bool>()));
        foreach (var healthy in new[] { "default", "sim", "flaky", "broken", "slow-boot", "slow-create" })
        {
            Assert.True(clouds[healthy]!["healthy"]!.GetValue<bool>(), healthy);
            Assert.Empty(clouds[healthy]!.Items("problems"));
        }

        var ec2 = clouds["ec2-eu"]!;
        Assert.Equal(("ec2", false, false), (ec2.Str("driver"), ec2["isDefault"]!.GetValue<bool>(), ec2["healthy"]!.GetValue<bool>()));
        var problems = ec2.Items("problems").Select(p => p.GetValue<string>()).ToList();
        foreach (var key in new[] { "USER", "PASSWORD", "SECURITY_GROUP_NAME", "KEY_NAME", "REGION", "IMAGE_ID", "SIZE_ID" })
            Assert.Contains($"Missing ec2 config param {key} for cloud 'ec2-eu'", problems);
        Assert.Equal(7, problems.Count);

        var half = clouds["ec2-half"]!;
        Assert.False(half["healthy"]!.GetValue<bool>());
        Assert.Equal(["Empty ec2 config param IMAGE_ID for cloud 'ec2-half'"], half.Items("problems").Select(p => p.GetValue<string>()));
    }

    [Fact]
    public async Task a_misconfigured_cloud_refuses_start_service_and_add_nodes_with_its_problem_and_stores_nothing()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);
        var before = await user.Service(id);

        var refused = await user.Client.Fails("INVALID_INPUT",
            "mutation($id: ID!, $cloud: String) { startService(id: $id, cloud: $cloud) { id } }", new { id, cloud = "ec2-eu" });
        Assert.Contains("Missing ec2 config param IMAGE_ID for cloud 'ec2-eu'", refused.Message());
        var after = await user.Service(id);
        Assert.Equal(("INIT", before.Int("version")), (after.Str("state"), after.Int("version")));
        Assert.Empty(after.Nodes());
        Assert.Empty(await app.VmRecords(v => v.ServiceId == Guid.Parse(id)));

        var emptyKey = await user.Client.Fails("INVALID_INPUT",
            "mutation($id: ID!, $cloud: String) { startService(id: $id, cloud: $cloud) { id } }", new { id, cloud = "ec2-half" });
        Assert.Contains("Empty ec2 config param IMAGE_ID for cloud 'ec2-half'", emptyKey.Message());

        // Running on a good cloud, the service may not grow onto the bad one either.
        await app.Settled(() => user.Start(id, "sim"));
        var running = await user.Service(id);
        Assert.Equal("RUNNING", running.Str("state"));
        var scaleRefused = await user.Client.Fails("INVALID_INPUT", CloudUser.AddNodesMutation,
            new { id, nodes = new object[] { new { count = 2, cloud = "ec2-eu" } } });
        Assert.Contains("Missing ec2 config param IMAGE_ID for cloud 'ec2-eu'", scaleRefused.Message());
        Assert.Equal("cloud", scaleRefused["extensions"]?["field"]?.GetValue<string>());
        var unchanged = await user.Service(id);
        Assert.Equal(("RUNNING", running.Int("version"), 2), (unchanged.Str("state"), unchanged.Int("version"), unchanged.Nodes().Count));
        Assert.Equal(1, unchanged.Desired("node"));
        Assert.Empty(await app.VmRecords(v => v.Cloud is "ec2-eu" or "ec2-half"));

        await app.Settled(() => user.Stop(id));
        Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
    }
}

public sealed class NeverReadySimCloudTests(NeverReadyCloud app) : IClassFixture<NeverReadyCloud>
{
    [Fact]
    public async Task a_vm_that_never_answers_fails_and_the_service_ends_in_error_releasing_every_vm()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        await user.Start(id, "never");
        var failed = await user.WaitFor(id, "ERROR", Wait.Short);

        var reason = failed.Str("stateReason");
        Assert.Contains("did not become ready within 2 s", reason);
        var culprit = Assert.Single(failed.Nodes(), n => reason.Contains($"VM {n.Str("name")} failed"));
        Assert.Equal("FAILED", culprit.Str("state"));
        Assert.Contains("did not become ready within 2 s", culprit.Str("stateReason"));

        // Every VM is released: terminated at the cloud, nothing live in the log.
        var released = await Wait.Until(() => user.Vms(appId, includeTerminated: false), vms => vms.Count == 0, Wait.Short,
            "every VM of the failed service released");
        Assert.Empty(released);
        var all = (await user.Service(id)).Nodes();
        Assert.Equal(2, all.Count);
        Assert.All(all, n => Assert.Contains(n.Str("state"), new[] { "FAILED", "TERMINATED" }));
        Assert.Empty(app.Sim("never").Names.Intersect(all.Select(n => n.Str("name"))));
        foreach (var vm in all)
        {
            var history = await user.History(vm.Str("id"));
            Assert.DoesNotContain(history, e => e.Str("type") == "VmReady");
            Assert.True(history.Count(e => e.Str("type") == "VmTerminated") == 1,
                $"{vm.Str("name")} should be terminated once; its history: " + string.Join(", ", history.Select(e => $"{e.Int("version")}:{e.Str("type")}")));
        }

        var serviceHistory = await user.History(id);
        Assert.Contains(serviceHistory, e => e.Str("type") == "ServiceFailed" && e.Str("actor") == "system");
    }
}
