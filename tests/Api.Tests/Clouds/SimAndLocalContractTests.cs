using Conpaas.Fakes;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Drivers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>The sim cloud, without failures, keeps the port's contract.</summary>
public sealed class SimDriverContractTests : CloudDriverContract
{
    protected override Task<ICloudDriver> NewDriver() =>
        Task.FromResult<ICloudDriver>(new SimDriver(SimDriver.Settings.From(new Dictionary<string, string?>()), TimeProvider.System));
}

/// <summary>The local cloud (real agent processes in a folder of its own) keeps the port's contract.</summary>
[Collection(RealProcesses.Name)]
public sealed class LocalDriverContractTests : CloudDriverContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("conpaas-contract-").FullName;
    private ServiceProvider? _services;

    protected override Task<ICloudDriver> NewDriver()
    {
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        return Task.FromResult<ICloudDriver>(new LocalDriver(
            new LocalDriver.Settings(_folder, $"127.{Random.Shared.Next(30, 250)}", 5555, AgentAssembly: null),
            _services.GetRequiredService<IHttpClientFactory>(), NullLogger<LocalDriver>.Instance));
    }

    [Fact]
    public async Task The_agent_runs_from_the_served_tarball_unpacked_in_the_vm_s_folder()
    {
        var spec = Spec(Prefix + "tarball-1");
        await Driver.Create(spec, Wait.Ct);

        var agent = Assert.Single(AgentProcess.Of(_folder), a => a.VmName == spec.Name);
        var unpacked = Path.Combine(_folder, spec.Name, "ConPaaS");
        Assert.Contains(Path.Combine(unpacked, "Conpaas.Agent.dll") + " ", agent.CommandLine);
        Assert.Equal(AgentPackage.Director.Get().Version + "\n", await File.ReadAllTextAsync(Path.Combine(unpacked, "VERSION"), Wait.Ct));
    }

    protected override async ValueTask Cleanup()
    {
        AgentProcess.KillAll(_folder);
        if (_services is not null) await _services.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
