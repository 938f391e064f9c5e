using System.Globalization;

namespace Conpaas.Domain.Vpn;

/// <summary>A VPN bootstrap node, written <c>udp://ip:port</c> or <c>tcp://ip:port</c>.</summary>
public readonly record struct VpnBootstrapNode(string Protocol, string Address, int Port)
{
    public static bool TryParse(string? text, out VpnBootstrapNode node)
    {
        node = default;
        var trimmed = text?.Trim() ?? "";
        var schemeEnd = trimmed.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0) return false;
        var protocol = trimmed[..schemeEnd].ToLowerInvariant();
        if (protocol is not ("udp" or "tcp")) return false;
        var endpoint = trimmed[(schemeEnd + 3)..];
        var colon = endpoint.LastIndexOf(':');
        if (colon < 0 || !Ipv4.TryParseAddress(endpoint[..colon], out var address)) return false;
        if (!int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            return false;
        node = new VpnBootstrapNode(protocol, Ipv4.Format(address), port);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Protocol}://{Address}:{Port}");
}
