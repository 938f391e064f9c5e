using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>The whole life of a service from the command line, on a real local cloud (agent processes).</summary>
public sealed class RunningServiceTests(LocalCloudApp director) : IClassFixture<LocalCloudApp>
{
    [Fact]
    public async Task start_wait_reaches_RUNNING_nodes_are_added_and_stop_wait_reaches_STOPPED()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "hello");

        var started = await ann.Ok("service", "start", "hello", "--wait", "--timeout", "120");
        Assert.StartsWith("Service 'hello' is PROLOGUE; waiting until it is RUNNING\n", started.Out);
        Assert.EndsWith("  RUNNING\nService 'hello' is RUNNING\n", started.Out);

        var scaled = await ann.Json("service", "add-nodes", "hello", "--node", "1", "--wait", "--timeout", "120");
        Assert.Equal("RUNNING", scaled["service"]!["state"]!.GetValue<string>());
        Assert.Equal(2, scaled["service"]!["nodeCounts"]![0]!["count"]!.GetValue<int>());

        var vms = await ann.Ok("vms", "-a", "shop");
        Assert.Equal(["manager", "node", "node"], vms.Column("ROLE").Order());
        Assert.All(vms.Column("STATE"), state => Assert.Equal("RUNNING", state));
        Assert.Equal(3, director.AgentProcesses().Count);

        var stopped = await ann.Ok("service", "stop", "hello", "-a", "shop", "--wait", "--timeout", "120");
        Assert.EndsWith("Service 'hello' is STOPPED (stopped by the user)\n", stopped.Out);
        Assert.Equal("No VMs.\n", (await ann.Ok("vms")).Out);
        await ann.Ok("service", "remove", "hello");
        await ann.Ok("app", "delete", "shop");
    }
}
