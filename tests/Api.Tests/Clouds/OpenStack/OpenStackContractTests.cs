using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Drivers.OpenStack;

namespace Conpaas.Api.Tests.Clouds.OpenStack;

/// <summary>The drivers' contract, run by the openstack driver against <see cref="FakeOpenStack"/>.</summary>
public sealed class OpenStackContractTests : CloudDriverContract
{
    private FakeOpenStack? _cloud;

    protected override async Task<ICloudDriver> NewDriver()
    {
        _cloud = await FakeOpenStack.Start();
        return new OpenStackDriver(OpenStackSettings.From(_cloud.Keys()), "openstack-contract", DriverKit.Http, TimeProvider.System);
    }

    protected override async ValueTask Cleanup()
    {
        if (_cloud is not null) await _cloud.DisposeAsync();
    }
}
