using Conpaas.Fakes;
using System.Security.Cryptography;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Boot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Clouds.Ec2;

/// <summary>The Director with an "ec2" cloud on the fake EC2, and a second one whose image does not exist there.</summary>
internal sealed class Ec2CloudApp(FakeEc2 fake) : LocalCloudApp
{
    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(base.Settings);
            foreach (var (key, value) in Ec2Kit.Keys(fake))
            {
                settings[$"Clouds:ec2:Keys:{key}"] = value;
                settings[$"Clouds:ec2-no-image:Keys:{key}"] = value;
            }

            settings["Clouds:ec2:Driver"] = settings["Clouds:ec2-no-image:Driver"] = "ec2";
            settings["Clouds:ec2-no-image:Keys:IMAGE_ID"] = "ami-00000000000000000";
            return settings;
        }
    }
}

/// <summary>
/// A helloworld service on the ec2 driver, end to end: the fake EC2 runs each instance's user data, which fetches the
/// agent from the Director's download endpoint, checks it, writes the boot context and starts the agent on the
/// instance's address; the VMs become RUNNING through the normal readiness check; a stop terminates every instance
/// and leaves no process.
/// </summary>
[Collection(RealProcesses.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Ec2EndToEndTests : IAsyncLifetime
{
    private readonly FakeEc2 _fake = new() { RunUserData = true };
    private Ec2CloudApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        await _fake.Start();
        _app = new Ec2CloudApp(_fake);
        await _app.InitializeAsync();
        // The boot contexts carry the Director's URL: this host's real port, known once it listens.
        _app.Services.GetRequiredService<IConfiguration>()["Director:Url"] = _app.BaseAddress.ToString().TrimEnd('/');
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_service_on_ec2_boots_its_agents_from_the_served_tarball_and_a_stop_terminates_every_instance()
    {
        var user = await CloudUser.New(_app);
        var appId = await user.CreateApplication();
        var id = await user.AddService(appId);

        await user.Start(id, "ec2");
        var running = await user.WaitFor(id, "RUNNING");
        var nodes = running.LiveNodes();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.StartsWith("i-", n.Str("providerId")));
        Assert.All(nodes, n => Assert.Equal("ec2", n.Str("cloud")));
        Assert.Equal("Hello World", await AgentHttp.Get(Assert.Single(running.LiveAgents()).Str("address")));
        Assert.Equal(nodes.Select(n => n.Str("name")).Order(), _fake.Processes().Select(p => p.VmName).Order());

        // Each instance fetched the tarball the Director serves (its checksum checked) and keeps its boot context 0600.
        var served = AgentPackage.Director.Get().Sha256;
        foreach (var folder in Directory.GetDirectories(_fake.Root))
        {
            Assert.Equal(served, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(folder, "opt", "ConPaaS.tar.gz"), Wait.Ct))));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "opt", "boot.json")));
        }

        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));
        var stopped = await user.WaitFor(id, "STOPPED");
        Assert.All(stopped.Nodes(), n => Assert.Equal("TERMINATED", n.Str("state")));
        await Wait.Eventually(() => _fake.Processes().Count == 0, Wait.Short, "no agent process left on the fake EC2");
        using var driver = Ec2Kit.Driver(_fake);
        Assert.Empty(await driver.List("conpaas-", Wait.Ct));
    }

    [Fact]
    public async Task The_clouds_query_shows_live_problems_checked_at_most_every_30_seconds()
    {
        var user = await CloudUser.New(_app);

        var clouds = await user.Clouds();
        var checks = _fake.Calls("DescribeImages");
        Assert.Equal(2, checks); // one per ec2 cloud
        await user.Clouds();
        Assert.Equal(checks, _fake.Calls("DescribeImages"));
        _app.Clock.Advance(TimeSpan.FromSeconds(31));
        await user.Clouds();
        Assert.Equal(checks + 2, _fake.Calls("DescribeImages"));

        var ec2 = clouds.Single(c => c!["name"]!.GetValue<string>() == "ec2")!;
        Assert.True(ec2["healthy"]!.GetValue<bool>(), ec2.ToJsonString());
        var noImage = clouds.Single(c => c!["name"]!.GetValue<string>() == "ec2-no-image")!;
        Assert.False(noImage["healthy"]!.GetValue<bool>());
        Assert.Contains("InvalidAMIID.NotFound", noImage["problems"]![0]!.GetValue<string>());
    }
}
