using System.Numerics;

namespace Conpaas.Domain.Vpn;

/// <summary>
/// The <c>Vpn</c> configuration section as given. BaseNetwork, Netmask and ServiceBits are all set or all empty
/// (empty disables the VPN); Netmask is dotted (255.240.0.0) or a prefix ("/12" or "12").
/// </summary>
public sealed record VpnSettings(
    string? BaseNetwork = null,
    string? Netmask = null,
    int? ServiceBits = null,
    IReadOnlyList<string>? BootstrapNodes = null)
{
    public const string SectionName = "Vpn";
    public const string BaseNetworkKey = "Vpn:BaseNetwork";
    public const string NetmaskKey = "Vpn:Netmask";
    public const string ServiceBitsKey = "Vpn:ServiceBits";
    public const string BootstrapNodesKey = "Vpn:BootstrapNodes";

    /// <summary>No VPN: applications get no subnets and VMs no VPN addresses.</summary>
    public static VpnSettings None { get; } = new();

    /// <summary>Every problem with the settings, each naming its configuration key; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(VpnSettings settings)
    {
        Parse(settings, out var problems);
        return problems;
    }

    /// <summary>The plan the settings describe, or null when they have problems.</summary>
    internal static VpnPlan? Parse(VpnSettings settings, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var found = new List<string>();
        problems = found;

        var baseText = settings.BaseNetwork?.Trim() is { Length: > 0 } b ? b : null;
        var maskText = settings.Netmask?.Trim() is { Length: > 0 } m ? m : null;
        var bits = settings.ServiceBits;

        if (baseText is null && maskText is null && bits is null)
        {
            // Refused rather than ignored: bootstrap nodes without a network suggest the network was forgotten.
            if (settings.BootstrapNodes is { Count: > 0 })
                found.Add($"{BootstrapNodesKey} is set but the VPN is disabled ({BaseNetworkKey}, {NetmaskKey} and {ServiceBitsKey} are empty)");
            return found.Count == 0 ? VpnPlan.Disabled : null;
        }

        const string together = $"{BaseNetworkKey}, {NetmaskKey} and {ServiceBitsKey} must be set together, or all left empty to disable the VPN";
        if (baseText is null) found.Add($"{BaseNetworkKey} is missing: {together}");
        if (maskText is null) found.Add($"{NetmaskKey} is missing: {together}");
        if (bits is null) found.Add($"{ServiceBitsKey} is missing: {together}");

        uint? network = null;
        if (baseText is not null)
        {
            if (Ipv4.TryParseAddress(baseText, out var parsed)) network = parsed;
            else found.Add($"{BaseNetworkKey} '{baseText}' is not an IPv4 address like 172.16.0.0");
        }

        int? prefix = maskText is null ? null : ParseNetmask(maskText, found);

        if (network is { } n && prefix is { } p && (n & ~Ipv4.Mask(p)) != 0)
            found.Add($"{BaseNetworkKey} '{baseText}' has host bits set for netmask /{p}");

        if (bits is < 0)
            found.Add($"{ServiceBitsKey} {bits} must not be negative");
        else if (bits is { } s && prefix is { } p2 && s > 31 - p2)
            found.Add($"{ServiceBitsKey} {s} leaves fewer than 1 host address per service subnet (prefix /{p2})");

        var nodes = new List<string>();
        foreach (var entry in settings.BootstrapNodes ?? [])
        {
            if (VpnBootstrapNode.TryParse(entry, out var node)) nodes.Add(node.ToString());
            else found.Add($"{BootstrapNodesKey} entry '{entry}' must look like udp://ip:port or tcp://ip:port");
        }

        return found.Count == 0 ? new VpnPlan(network!.Value, prefix!.Value, bits!.Value, nodes) : null;
    }

    private static int? ParseNetmask(string text, List<string> problems)
    {
        int? prefix = null;
        if (Ipv4.TryParsePrefix(text.StartsWith('/') ? text[1..] : text, out var p))
            prefix = p;
        else if (Ipv4.TryParseAddress(text, out var mask))
        {
            // Contiguous means the host part ~mask is 2^k - 1.
            var host = ~mask;
            if ((host & (host + 1)) == 0) prefix = BitOperations.PopCount(mask);
            else problems.Add($"{NetmaskKey} '{text}' is not a contiguous netmask");
        }
        else
            problems.Add($"{NetmaskKey} '{text}' is neither a dotted netmask like 255.240.0.0 nor a prefix like /12");

        if (prefix == 32)
        {
            problems.Add($"{NetmaskKey} '{text}' (/32) leaves no addresses for the VPN; use /31 or shorter");
            return null;
        }
        return prefix;
    }
}
