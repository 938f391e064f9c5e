using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Clouds.OpenNebula;

/// <summary>The Director with an opennebula cloud "one" on <see cref="FakeOpenNebula"/> (started before the host, which reads its URL).</summary>
public sealed class OpenNebulaDirector : LocalCloudApp, IAsyncLifetime
{
    public FakeOpenNebula Cloud { get; private set; } = null!;

    public new async ValueTask InitializeAsync()
    {
        Cloud = await FakeOpenNebula.Start();
        await base.InitializeAsync();
    }

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(base.Settings) { ["Clouds:one:Driver"] = "opennebula" };
            foreach (var (key, value) in Cloud.Keys()) settings[$"Clouds:one:Keys:{key}"] = value;
            return settings;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Cloud.DisposeAsync();
    }
}

/// <summary>A helloworld service through GraphQL on an opennebula cloud: its VMs become RUNNING through the driver's
/// readiness check, and stopping the service terminates them.</summary>
public sealed class OpenNebulaEndToEndTests(OpenNebulaDirector app) : IClassFixture<OpenNebulaDirector>
{
    [Fact]
    public async Task a_service_started_on_an_opennebula_cloud_runs_on_its_vms_and_stopping_it_terminates_them()
    {
        var clouds = (await (await app.Admin()).Ok("{ clouds { name driver healthy problems } }"))["clouds"]!.AsArray();
        var one = clouds.Single(c => c!.Str("name") == "one")!;
        Assert.True(one["healthy"]!.GetValue<bool>(), one.ToJsonString());

        var user = await CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        await user.Start(id, "one");

        var running = await user.WaitFor(id, "RUNNING");
        var nodes = running.LiveNodes();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("one", n.Str("cloud")));
        Assert.Equal(nodes.Select(n => n.Str("providerId")).Order(), app.Cloud.Vms.Select(v => v.Id.ToString()).Order());

        // The address the cloud gave the VM while it booted, where its agent answers.
        Assert.Equal(nodes.Select(n => n.Str("address")).Order(), app.Cloud.Vms.Select(s => $"{s.Ip}:{app.Cloud.AgentPort}").Order());

        await user.Stop(id);
        await user.WaitFor(id, "STOPPED");
        await Wait.Eventually(() => app.Cloud.Vms.Count == 0, Wait.Short, "every VM terminated");
    }
}
