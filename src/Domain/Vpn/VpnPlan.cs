using System.Globalization;

namespace Conpaas.Domain.Vpn;

/// <summary>
/// The VPN address plan: every application gets the network Network (prefix P), split into
/// 2^S service subnets of prefix P+S; each VM of a service takes a host address of its service's subnet.
/// Pure allocation: the caller passes what is in use and guards against races with the aggregate's version.
/// </summary>
public sealed class VpnPlan
{
    public const string ExhaustedPrefix = "VPN address space exhausted";

    private readonly uint _network;

    private VpnPlan() => BootstrapNodes = [];

    internal VpnPlan(uint network, int prefix, int serviceBits, IReadOnlyList<string> bootstrapNodes)
    {
        _network = network;
        IsEnabled = true;
        Prefix = prefix;
        ServiceBits = serviceBits;
        BootstrapNodes = bootstrapNodes;
    }

    /// <summary>No VPN: allocations succeed with no subnet and no address.</summary>
    public static VpnPlan Disabled { get; } = new();

    public bool IsEnabled { get; }

    /// <summary>The application network as CIDR, e.g. 172.16.0.0/12; null when disabled.</summary>
    public string? Network => IsEnabled ? Ipv4.Cidr(_network, Prefix) : null;

    public int Prefix { get; }
    public int ServiceBits { get; }
    public int ServicePrefix => IsEnabled ? Prefix + ServiceBits : 0;
    public long ServicesPerApplication => IsEnabled ? 1L << ServiceBits : 0;

    /// <summary>2^(32−P−S) − 1: only the network address is held back, as the overlay has no broadcast.</summary>
    public long VmsPerService => IsEnabled ? Ipv4.Size(ServicePrefix) - 1 : 0;

    /// <summary>Normalized <c>udp://ip:port</c> / <c>tcp://ip:port</c> entries.</summary>
    public IReadOnlyList<string> BootstrapNodes { get; }

    public static bool TryCreate(VpnSettings settings, out VpnPlan plan, out IReadOnlyList<string> problems)
    {
        var parsed = VpnSettings.Parse(settings, out problems);
        plan = parsed ?? Disabled;
        return parsed is not null;
    }

    /// <summary>The plan, or an <see cref="ArgumentException"/> listing every problem (for startup).</summary>
    public static VpnPlan Create(VpnSettings settings) =>
        TryCreate(settings, out var plan, out var problems)
            ? plan
            : throw new ArgumentException("Invalid VPN configuration: " + string.Join("; ", problems), nameof(settings));

    /// <summary>
    /// The lowest service subnet not overlapping any of <paramref name="subnetsInUse"/> (CIDRs; those outside
    /// the network are ignored), or a VPN_EXHAUSTED refusal.
    /// </summary>
    public VpnAllocation AllocateServiceSubnet(IReadOnlyCollection<string> subnetsInUse)
    {
        ArgumentNullException.ThrowIfNull(subnetsInUse);
        if (!IsEnabled) return VpnAllocation.Allocated(null);

        int hostBits = 32 - ServicePrefix;
        long first = _network, last = first + Ipv4.Size(Prefix) - 1;
        var taken = new List<(long, long)>(subnetsInUse.Count);
        foreach (var entry in subnetsInUse)
        {
            if (!Ipv4.TryParseCidr(entry, out var start, out var prefix))
                throw new ArgumentException($"'{entry}' is not an IPv4 subnet like 172.16.0.0/17", nameof(subnetsInUse));
            // Subnets of another size (say, from an older configuration) block every service subnet they touch.
            long lo = Math.Max(first, start), hi = Math.Min(last, start + Ipv4.Size(prefix) - 1);
            if (lo <= hi) taken.Add(((lo - first) >> hostBits, (hi - first) >> hostBits));
        }

        return LowestFree(0, ServicesPerApplication - 1, taken) is { } index
            ? VpnAllocation.Allocated(Ipv4.Cidr((uint)(first + (index << hostBits)), ServicePrefix))
            : VpnAllocation.Exhausted(ServiceSubnetsExhaustedMessage());
    }

    /// <summary>
    /// The lowest host address of <paramref name="serviceSubnet"/> (never its network address) not in
    /// <paramref name="addressesInUse"/> (addresses outside the subnet are ignored), or a VPN_EXHAUSTED refusal.
    /// </summary>
    /// <exception cref="ArgumentException">The subnet is not one of this plan's service subnets.</exception>
    public VpnAllocation AllocateHostAddress(string? serviceSubnet, IReadOnlyCollection<string> addressesInUse)
    {
        ArgumentNullException.ThrowIfNull(addressesInUse);
        if (!IsEnabled) return VpnAllocation.Allocated(null);

        var subnet = ParseServiceSubnet(serviceSubnet);
        long first = subnet + 1L, last = subnet + Ipv4.Size(ServicePrefix) - 1;
        var taken = new List<(long, long)>(addressesInUse.Count);
        foreach (var entry in addressesInUse)
        {
            if (!Ipv4.TryParseAddress(entry, out var address))
                throw new ArgumentException($"'{entry}' is not an IPv4 address", nameof(addressesInUse));
            if (address >= first && address <= last) taken.Add((address, address));
        }

        return LowestFree(first, last, taken) is { } free
            ? VpnAllocation.Allocated(Ipv4.Format((uint)free))
            : VpnAllocation.Exhausted(HostAddressesExhaustedMessage(serviceSubnet!));
    }

    public string ServiceSubnetsExhaustedMessage()
    {
        EnsureEnabled();
        return Exhausted($"application network {Network}", ServicesPerApplication, "service subnet", "service subnets");
    }

    public string HostAddressesExhaustedMessage(string serviceSubnet)
    {
        EnsureEnabled();
        var subnet = Ipv4.Cidr(ParseServiceSubnet(serviceSubnet), ServicePrefix);
        return Exhausted($"service subnet {subnet}", VmsPerService, "VM address", "VM addresses");
    }

    /// <summary>Whether <paramref name="address"/> lies in <paramref name="subnet"/> (a CIDR).</summary>
    public static bool Contains(string subnet, string address)
    {
        if (!Ipv4.TryParseCidr(subnet, out var network, out var prefix))
            throw new ArgumentException($"'{subnet}' is not an IPv4 subnet like 172.16.0.0/17", nameof(subnet));
        if (!Ipv4.TryParseAddress(address, out var parsed))
            throw new ArgumentException($"'{address}' is not an IPv4 address", nameof(address));
        return (parsed & Ipv4.Mask(prefix)) == network;
    }

    /// <summary>The VPN namespace of an application, <c>cps-&lt;director host:port&gt;-&lt;application id&gt;</c>.</summary>
    public static string Namespace(string directorHostPort, string applicationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directorHostPort);
        ArgumentException.ThrowIfNullOrWhiteSpace(applicationId);
        return $"cps-{directorHostPort}-{applicationId}";
    }

    private uint ParseServiceSubnet(string? serviceSubnet)
    {
        if (!Ipv4.TryParseCidr(serviceSubnet, out var subnet, out var prefix)
            || prefix != ServicePrefix
            || (subnet & Ipv4.Mask(Prefix)) != _network)
            throw new ArgumentException(
                $"'{serviceSubnet}' is not a service subnet of {Network} (expected a /{ServicePrefix} inside it)", nameof(serviceSubnet));
        return subnet;
    }

    // Sorting the taken ranges and walking them once keeps large in-use sets at O(n log n).
    private static long? LowestFree(long first, long last, List<(long Lo, long Hi)> taken)
    {
        taken.Sort();
        var candidate = first;
        foreach (var (lo, hi) in taken)
        {
            if (lo > candidate) break;
            candidate = Math.Max(candidate, hi + 1);
        }
        return candidate <= last ? candidate : null;
    }

    private void EnsureEnabled()
    {
        if (!IsEnabled) throw new InvalidOperationException("The VPN is disabled, so its address space cannot be exhausted");
    }

    private static string Exhausted(string space, long count, string one, string many) =>
        string.Create(CultureInfo.InvariantCulture, $"{ExhaustedPrefix}: {space} holds {count} {(count == 1 ? one : many)} and all are in use");
}
