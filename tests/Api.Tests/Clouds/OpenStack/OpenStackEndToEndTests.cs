using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Clouds.OpenStack;

/// <summary>The Director with an openstack cloud "os" on <see cref="FakeOpenStack"/> (started before the host, which reads its URL).</summary>
public sealed class OpenStackDirector : LocalCloudApp, IAsyncLifetime
{
    public FakeOpenStack Cloud { get; private set; } = null!;

    public new async ValueTask InitializeAsync()
    {
        Cloud = await FakeOpenStack.Start();
        await base.InitializeAsync();
    }

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(base.Settings) { ["Clouds:os:Driver"] = "openstack" };
            foreach (var (key, value) in Cloud.Keys()) settings[$"Clouds:os:Keys:{key}"] = value;
            return settings;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Cloud.DisposeAsync();
    }
}

/// <summary>A helloworld service through GraphQL on an openstack cloud: its VMs are Nova servers that become RUNNING
/// through the driver's readiness check, and stopping the service deletes them.</summary>
public sealed class OpenStackEndToEndTests(OpenStackDirector app) : IClassFixture<OpenStackDirector>
{
    [Fact]
    public async Task a_service_started_on_an_openstack_cloud_runs_on_its_servers_and_stopping_it_deletes_them()
    {
        var clouds = (await (await app.Admin()).Ok("{ clouds { name driver healthy problems } }"))["clouds"]!.AsArray();
        var os = clouds.Single(c => c!.Str("name") == "os")!;
        Assert.True(os["healthy"]!.GetValue<bool>(), os.ToJsonString());

        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        await user.Start(id, "os");

        var running = await user.WaitFor(id, "RUNNING");
        var nodes = running.LiveNodes();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("os", n.Str("cloud")));
        var names = nodes.Select(n => n.Str("name")).ToHashSet();
        // The other test of the class shares the cloud: its servers are another service's.
        IReadOnlyList<FakeOpenStack.Server> Servers() => app.Cloud.Servers.Where(s => names.Contains(s.Name)).ToList();
        Assert.Equal(2, Servers().Count);
        Assert.Equal(nodes.Select(n => n.Str("providerId")).Order(), Servers().Select(s => s.Id).Order());

        // The address the cloud gave the VM while it booted, where its agent answers.
        Assert.Equal(nodes.Select(n => n.Str("address")).Order(), Servers().Select(s => $"{s.Ip}:{app.Cloud.AgentPort}").Order());

        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
        await Wait.Eventually(() => Servers().Count == 0, Wait.Short, "every server of the service deleted");
    }

    [Fact]
    public async Task a_server_that_ends_in_error_fails_its_vm_at_once_instead_of_at_the_readiness_timeout()
    {
        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        app.Cloud.NextBuildFails = true;
        await user.Start(id, "os");

        // The readiness timeout is five minutes: a FAILED VM within half a minute comes from the cloud's ERROR.
        var service = await Wait.Until(() => user.Service(id), s => s.Nodes().Any(n => n.Str("state") == "FAILED"), Wait.Short, "a VM FAILED");

        var failed = service.Nodes().First(n => n.Str("state") == "FAILED");
        Assert.Contains("is in ERROR: No valid host was found", failed.Str("stateReason"));
    }
}
