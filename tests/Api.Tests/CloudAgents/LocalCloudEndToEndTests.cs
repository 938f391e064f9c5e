using Conpaas.Fakes;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Provisioning;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>The local cloud with a public Director URL of its own, to see it flow into every boot context.</summary>
public sealed class EndToEndCloud : LocalCloudApp
{
    public const string DirectorUrl = "http://director.conpaas.test:8443";

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Director:Url"] = DirectorUrl };
}

/// <summary>
/// A helloworld service through GraphQL on the local cloud: every VM is a real agent process, found by its command
/// line, that answers over HTTP at the address the Director records.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class LocalCloudEndToEndTests(EndToEndCloud app) : IClassFixture<EndToEndCloud>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IReadOnlyList<AgentProcess.Info> Agents() => AgentProcess.Of(app.CloudDirectory);

    private static async Task AssertAnswersHelloWorld(IEnumerable<JsonNode> agents)
    {
        foreach (var agent in agents)
            Assert.True(await AgentHttp.Get(agent.Str("address")) == "Hello World",
                $"agent {agent.Str("name")} at {agent.StrOrNull("address")} does not answer Hello World");
    }

    [Fact]
    public async Task a_helloworld_service_runs_on_real_agents_scales_out_and_in_heals_a_killed_agent_and_stops()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        // start → PROLOGUE, then RUNNING once the manager and the initial agent answer their readiness checks.
        var started = await user.Start(id);
        Assert.Equal("PROLOGUE", started.Str("state"));
        Assert.Equal("default", started.Str("cloud"));
        var running = await user.WaitFor(id, "RUNNING");
        Assert.All(running.LiveNodes(), n => Assert.Equal("RUNNING", n.Str("state")));
        Assert.Equal(2, running.LiveNodes().Count);
        var first = Assert.Single(running.LiveAgents());
        await AssertAnswersHelloWorld([first]);
        Assert.Equal(2, app.AgentProcesses().Count);
        Assert.Equal(running.LiveNodes().Select(n => n.Str("name")).Order(), Agents().Select(a => a.VmName).Order());

        // addNodes 2 → ADAPTING → RUNNING with three agents, each a process of its own answering Hello World.
        var adding = await user.AddNodes(id, 2);
        Assert.Equal("ADAPTING", adding.Str("state"));
        running = await user.WaitFor(id, "RUNNING");
        var three = running.LiveAgents();
        Assert.Equal(3, three.Count);
        Assert.All(three, n => Assert.Equal("RUNNING", n.Str("state")));
        Assert.Equal(3, running.Desired("node"));
        await AssertAnswersHelloWorld(three);
        Assert.Equal(4, app.AgentProcesses().Count);
        Assert.Equal(4, running.LiveNodes().Select(n => n.Str("address")).Distinct().Count());
        Assert.Equal(4, running.LiveNodes().Select(n => n.Str("vpnAddress")).Distinct().Count());

        // removeNodes 1 → the newest agent is terminated: its process ends, its address stops answering.
        var newest = three.MaxBy(n => n.Number())!;
        await user.RemoveNodes(id, 1);
        running = await user.WaitFor(id, "RUNNING");
        var two = running.LiveAgents();
        Assert.Equal(2, two.Count);
        Assert.DoesNotContain(two, n => n.Str("id") == newest.Str("id"));
        Assert.Equal("TERMINATED", running.Vm(newest.Str("id")).Str("state"));
        Assert.Equal(2, running.Desired("node"));
        await Wait.Eventually(() => app.AgentProcesses().Count == 3, Wait.Short, "three agent processes after removeNodes");
        Assert.DoesNotContain(Agents(), a => a.VmName == newest.Str("name"));
        Assert.Null(await AgentHttp.Get(newest.Str("address")));
        await AssertAnswersHelloWorld(two);

        // Kill one agent process: its VM becomes LOST and a replacement restores the desired count.
        var victim = two.MinBy(n => n.Number())!;
        var victimPid = Assert.Single(Agents(), a => a.VmName == victim.Str("name")).Pid;
        using (var process = Process.GetProcessById(victimPid)) process.Kill();
        var healed = await Wait.Until(() => user.Service(id),
            s => s.Vm(victim.Str("id")).Str("state") == "LOST" && s.Str("state") == "RUNNING" && s.LiveAgents().Count == 2,
            Wait.Long, "the killed agent LOST and replaced");
        Assert.Contains("disappeared", healed.Vm(victim.Str("id")).Str("stateReason"));
        var replacement = Assert.Single(healed.LiveAgents(), n => two.All(t => t.Str("id") != n.Str("id")));
        Assert.Equal(newest.Number() + 1, replacement.Number()); // node numbers are never reused
        Assert.Equal("RUNNING", replacement.Str("state"));
        Assert.Equal(2, healed.Desired("node"));
        await AssertAnswersHelloWorld(healed.LiveAgents());
        await Wait.Eventually(() => app.AgentProcesses().Count == 3, Wait.Short, "three agent processes after the replacement");
        Assert.Equal(healed.LiveNodes().Select(n => n.Str("name")).Order(), Agents().Select(a => a.VmName).Order());

        // The history tells why: NodeLost with the reason, then a replacement requested by the system.
        var history = await user.History(id);
        var lost = Assert.Single(history, e => e.Str("type") == "NodeLost");
        Assert.Equal("system", lost.Str("actor"));
        Assert.Equal(victim.Str("id"), lost["data"]!.Str("vmId"));
        Assert.Contains("disappeared from cloud 'default'", lost["data"]!.Str("reason"));
        var replaced = Assert.Single(history, e => e.Str("type") == "NodesRequested" && e["data"]!.Str("reason") == "Replacement");
        Assert.Equal("system", replaced.Str("actor"));
        Assert.True(replaced.Int("version") >= lost.Int("version"), "the replacement comes with or after the loss");
        Assert.Equal(replacement.Str("name"), Assert.Single(replaced["data"]!.Items("nodes")).Str("name"));
        var lostVm = await user.History(victim.Str("id"));
        Assert.Contains(lostVm, e => e.Str("type") == "VmLost" && e.Str("actor") == "system");

        // stop → EPILOGUE → STOPPED, and no agent process or VM folder is left.
        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));
        var stopped = await user.WaitFor(id, "STOPPED");
        Assert.Empty(stopped.LiveNodes());
        Assert.All(stopped.Nodes(), n => Assert.Contains(n.Str("state"), new[] { "TERMINATED", "LOST" }));
        await Wait.Eventually(() => app.AgentProcesses().Count == 0, Wait.Short, "no agent process after the stop");
        Assert.Empty(Directory.GetDirectories(app.CloudDirectory));
        Assert.Empty(await user.Vms(appId, includeTerminated: false));
    }

    [Fact]
    public async Task a_vm_boots_with_its_context_and_carries_its_name_on_its_command_line()
    {
        var user = await CloudUser.New(app);
        var appId = await user.CreateApplication();
        var application = await user.Application(appId);
        var id = await user.AddService(appId);
        await user.Start(id);
        var running = await user.WaitFor(id, "RUNNING");
        var boots = app.Services.GetRequiredService<BootContexts>();

        var credentials = new List<string>();
        foreach (var vm in running.LiveNodes())
        {
            var name = vm.Str("name");
            var file = Path.Combine(app.CloudDirectory, name, "boot.json");
            Assert.True(File.Exists(file), $"no boot context at {file}");
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var boot = JsonNode.Parse(await File.ReadAllTextAsync(file, Ct))!;

            Assert.Equal(vm.Str("id"), boot.Str("vmId"));
            Assert.Equal(name, boot.Str("name"));
            Assert.Equal(vm.Str("role"), boot.Str("role"));
            Assert.Equal(vm.StrOrNull("serviceRole"), boot.StrOrNull("serviceRole"));
            Assert.Equal("helloworld", boot.Str("serviceType"));
            Assert.Equal(vm.Str("vpnAddress"), boot.Str("vpnAddress"));
            Assert.Equal(application.Str("network"), boot.Str("network"));
            Assert.Equal($"cps-director.conpaas.test:8443-{Guid.Parse(appId):N}", boot.Str("namespace"));
            Assert.Equal(EndToEndCloud.DirectorUrl, boot.Str("directorUrl"));
            Assert.NotNull(boot["bootstrapNodes"]);
            var credential = boot.Str("credential");
            Assert.Equal(await boots.Credential(Guid.Parse(vm.Str("id")), Ct), credential);
            credentials.Add(credential);

            // The process is found by its VM name, like `ps | grep` would, and answers as that VM.
            var agent = Assert.Single(AgentProcess.Of(app.CloudDirectory), a => a.VmName == name);
            Assert.Contains($"--vm-name {name}", agent.CommandLine);
            Assert.Contains($"--listen {vm.Str("address")}", agent.CommandLine);
            var health = JsonNode.Parse((await AgentHttp.Get(vm.Str("address"), "/health"))!)!;
            Assert.Equal(("ready", name, vm.Str("id")), (health.Str("status"), health.Str("vm"), health.Str("vmId")));
            // Its own loopback address, not the Director's.
            Assert.StartsWith(app.AddressPrefix + ".", vm.Str("address"));
        }

        Assert.Equal(2, credentials.Distinct().Count());
        Assert.All(credentials, c => Assert.StartsWith("vm_", c));

        // The credential authenticates its own VM at the Director, and no other.
        var (first, second) = (running.LiveNodes()[0], running.LiveNodes()[1]);
        var (firstCredential, secondCredential) = (credentials[0], credentials[1]);
        using (var self = await AskDirectorAsVm(first.Str("id"), firstCredential))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, self.StatusCode);
            var me = JsonNode.Parse(await self.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal((first.Str("name"), appId), (me.Str("name"), me.Str("applicationId")));
        }

        using (var other = await AskDirectorAsVm(second.Str("id"), firstCredential))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, other.StatusCode);

        // The manager tells its context over HTTP.
        var manager = Assert.Single(running.LiveNodes(), n => n.Str("role") == "MANAGER");
        var about = JsonNode.Parse((await AgentHttp.Get(manager.Str("address")))!)!;
        Assert.Equal(manager.Str("name"), about.Str("vm"));
        Assert.Equal($"cps-director.conpaas.test:8443-{Guid.Parse(appId):N}", about.Str("namespace"));

        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
        await Wait.Eventually(() => !AgentProcess.Of(app.CloudDirectory).Any(a => running.LiveNodes().Any(n => n.Str("name") == a.VmName)),
            Wait.Short, "the service's agent processes gone after the stop");
        // The credential dies with its VM.
        using (var gone = await AskDirectorAsVm(second.Str("id"), secondCredential))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, gone.StatusCode);
    }

    private async Task<HttpResponseMessage> AskDirectorAsVm(string vmId, string credential)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/agent/v1/self");
        request.Headers.TryAddWithoutValidation("Authorization", $"Vm {vmId} {credential}");
        return await http.SendAsync(request, Ct);
    }
}
