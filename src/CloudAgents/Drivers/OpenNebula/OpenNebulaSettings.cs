using System.Globalization;

namespace Conpaas.CloudAgents.Drivers.OpenNebula;

/// <summary>
/// An opennebula cloud's keys, the original's director.cfg names: URL (oned's XML-RPC endpoint, e.g.
/// http://one:2633/RPC2), USER, PASSWORD, IMAGE_ID, INST_TYPE (small, medium or large: CPU and MEMORY of the VM, as the
/// OCCI server's instance types were), NET_ID, NET_GATEWAY, NET_NETMASK, NET_NAMESERVER, OS_ARCH, OS_ROOT, DISK_TARGET,
/// CONTEXT_TARGET; optional CPU and MEMORY (MB) override INST_TYPE, AGENT_PORT (5555), MAX_CONCURRENCY (8).
/// </summary>
public sealed record OpenNebulaSettings(
    Uri? Url, string User, string Password, string ImageId, string InstanceType, string? Cpu, string? Memory,
    string NetworkId, string Gateway, string Netmask, string Nameserver, string OsArch, string OsRoot, string DiskTarget,
    string ContextTarget, int AgentPort, int MaxConcurrency)
{
    /// <summary>INST_TYPE → (CPU, MEMORY in MB).</summary>
    public static readonly IReadOnlyDictionary<string, (string Cpu, string Memory)> InstanceTypes = new Dictionary<string, (string, string)>
    {
        ["small"] = ("1", "1024"),
        ["medium"] = ("2", "2048"),
        ["large"] = ("4", "4096"),
    };

    public static OpenNebulaSettings From(IReadOnlyDictionary<string, string?> keys)
    {
        string? Optional(string key) => keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        string Key(string key) => Optional(key) ?? "";
        int Int(string key, int fallback) => int.TryParse(Optional(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        return new OpenNebulaSettings(Uri.TryCreate(Key("URL"), UriKind.Absolute, out var url) ? url : null, Key("USER"), Key("PASSWORD"),
            Key("IMAGE_ID"), Key("INST_TYPE"), Optional("CPU"), Optional("MEMORY"), Key("NET_ID"), Key("NET_GATEWAY"), Key("NET_NETMASK"),
            Key("NET_NAMESERVER"), Key("OS_ARCH"), Key("OS_ROOT"), Key("DISK_TARGET"), Key("CONTEXT_TARGET"),
            Int("AGENT_PORT", 5555), Int("MAX_CONCURRENCY", 8));
    }

    /// <summary>What in the keys keeps the driver from working (the catalog checks that each key is there).</summary>
    public IReadOnlyList<string> Problems(string cloud)
    {
        var problems = new List<string>();
        if (Url is null) problems.Add($"The opennebula config param URL of cloud '{cloud}' is not an absolute URL");
        if (!int.TryParse(ImageId, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            problems.Add($"The opennebula config param IMAGE_ID of cloud '{cloud}' must be an image's number, not '{ImageId}'");
        if (!int.TryParse(NetworkId, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            problems.Add($"The opennebula config param NET_ID of cloud '{cloud}' must be a network's number, not '{NetworkId}'");
        if ((Cpu is null || Memory is null) && !InstanceTypes.ContainsKey(InstanceType))
            problems.Add($"The opennebula config param INST_TYPE of cloud '{cloud}' is '{InstanceType}', not one of [{string.Join(", ", InstanceTypes.Keys)}] (or give CPU and MEMORY)");
        return problems;
    }
}
