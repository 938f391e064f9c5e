using Conpaas.Domain.Vpn;
using Microsoft.Extensions.Options;

namespace Conpaas.CloudAgents.Clouds;

/// <summary>Settings under "Vpn" (ConPaaS VPN_BASE_NETWORK, VPN_NETMASK, VPN_SERVICE_BITS, VPN_BOOTSTRAP_NODES). All empty: no VPN.</summary>
public sealed class VpnOptions
{
    public string? BaseNetwork { get; set; }
    public string? Netmask { get; set; }
    public int? ServiceBits { get; set; }
    public List<string> BootstrapNodes { get; set; } = [];

    public VpnSettings ToSettings() =>
        new(string.IsNullOrWhiteSpace(BaseNetwork) ? null : BaseNetwork,
            string.IsNullOrWhiteSpace(Netmask) ? null : Netmask,
            ServiceBits, BootstrapNodes);

    public VpnPlan Plan() => VpnPlan.Create(ToSettings());
}

public sealed class VpnOptionsValidator : IValidateOptions<VpnOptions>
{
    public ValidateOptionsResult Validate(string? name, VpnOptions o)
    {
        var problems = VpnSettings.Validate(o.ToSettings());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
