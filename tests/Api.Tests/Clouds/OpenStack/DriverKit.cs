using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>What the driver tests of the real clouds share: the Director's cloud HTTP client and VM specs.</summary>
internal static class DriverKit
{
    /// <summary>The HTTP clients as the Director registers them (CloudHttp: the standard resilience handler).</summary>
    public static readonly IHttpClientFactory Http =
        new ServiceCollection().AddCloudHttp().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Name(string deployment = "conpaas", int number = 1) => $"{deployment}-u00c0ffee-a00facade-s1-helloworld-{number}";

    public static VmSpec Spec(string name, string? userData = "#!/bin/sh\necho booting the agent\n")
    {
        var id = Guid.CreateVersion7();
        return new VmSpec(id, name, VmRole.AGENT, "helloworld",
            new BootContext(id, name, "agent", null, "helloworld", null, null, [], null, "http://127.0.0.1:1", "credential"), userData);
    }

    /// <summary>Polls the driver's readiness check (a fake cloud and an agent port, no Wolverine message) until it answers
    /// true or throws; fails after the timeout.</summary>
    public static Task BecomesReady(ICloudDriver driver, CloudVm vm, TimeSpan timeout) =>
        Wait.Eventually(() => driver.IsReady(vm, Ct), timeout, $"{vm.Name} ready");
}
