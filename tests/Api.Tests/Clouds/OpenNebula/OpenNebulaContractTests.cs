using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Drivers.OpenNebula;

namespace Conpaas.Api.Tests.Clouds.OpenNebula;

/// <summary>The drivers' contract, run by the opennebula driver against <see cref="FakeOpenNebula"/>.</summary>
public sealed class OpenNebulaContractTests : CloudDriverContract
{
    private FakeOpenNebula? _cloud;

    protected override async Task<ICloudDriver> NewDriver()
    {
        _cloud = await FakeOpenNebula.Start();
        return new OpenNebulaDriver(OpenNebulaSettings.From(_cloud.Keys()), "opennebula-contract", DriverKit.Http);
    }

    protected override async ValueTask Cleanup()
    {
        if (_cloud is not null) await _cloud.DisposeAsync();
    }
}
