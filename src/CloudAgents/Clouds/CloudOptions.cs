using Conpaas.Domain.Clouds;
using Microsoft.Extensions.Options;

namespace Conpaas.CloudAgents.Clouds;

/// <summary>One named cloud (ConPaaS [iaas] / OTHER_CLOUDS sections): a driver and its keys.</summary>
public sealed class CloudSettings
{
    public string Driver { get; set; } = "";
    public Dictionary<string, string?> Keys { get; set; } = [];
}

/// <summary>Settings under "Clouds": a name per cloud; "default" always exists (the local cloud unless configured).</summary>
public sealed class CloudOptions
{
    public const string Section = "Clouds";

    public Dictionary<string, CloudSettings> Clouds { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The drivers and the keys each needs (from the original's iaas/clouds/*.py).</summary>
public static class CloudDrivers
{
    public static readonly IReadOnlyDictionary<string, string[]> RequiredKeys = new Dictionary<string, string[]>
    {
        ["local"] = [],
        ["sim"] = [],
        ["ec2"] = ["USER", "PASSWORD", "SECURITY_GROUP_NAME", "KEY_NAME", "REGION", "IMAGE_ID", "SIZE_ID"],
        // USER and PASSWORD, or an application credential instead: the driver names what is missing (OpenStackSettings).
        ["openstack"] = ["HOST", "IMAGE_ID", "SIZE_ID", "KEY_NAME", "SECURITY_GROUP_NAME"],
        ["opennebula"] = ["URL", "USER", "PASSWORD", "IMAGE_ID", "INST_TYPE", "NET_ID", "NET_GATEWAY", "NET_NETMASK",
            "NET_NAMESERVER", "OS_ARCH", "OS_ROOT", "DISK_TARGET", "CONTEXT_TARGET"],
    };

    /// <summary>Drivers this build can drive; the others are described but refuse VM requests.</summary>
    public static readonly HashSet<string> Implemented = ["local", "sim", "ec2", "openstack", "opennebula"];
}

/// <summary>The configured clouds with what is wrong with each, as the decisions and the clouds query see them.</summary>
public sealed class CloudCatalog
{
    public CloudCatalog(IOptions<CloudOptions> options)
    {
        var clouds = new Dictionary<string, CloudSettings>(options.Value.Clouds, StringComparer.Ordinal);
        clouds.TryAdd(CloudDirectory.Default, new CloudSettings { Driver = "local" });
        Settings = clouds;
        Directory = new CloudDirectory(clouds
            .OrderBy(c => c.Key == CloudDirectory.Default ? 0 : 1).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new CloudInfo(c.Key, c.Value.Driver, c.Key == CloudDirectory.Default, Problems(c.Key, c.Value)))
            .ToList());
    }

    public IReadOnlyDictionary<string, CloudSettings> Settings { get; }
    public CloudDirectory Directory { get; }

    private static List<string> Problems(string name, CloudSettings cloud)
    {
        var problems = new List<string>();
        foreach (var key in CloudDrivers.RequiredKeys.GetValueOrDefault(cloud.Driver, []))
        {
            // ConPaaS wording: "Missing ec2 config param IMAGE_ID for cloud 'ec2-eu'".
            if (!cloud.Keys.TryGetValue(key, out var value)) problems.Add($"Missing {cloud.Driver} config param {key} for cloud '{name}'");
            else if (string.IsNullOrWhiteSpace(value)) problems.Add($"Empty {cloud.Driver} config param {key} for cloud '{name}'");
        }

        if (!CloudDrivers.Implemented.Contains(cloud.Driver))
            problems.Add($"The {cloud.Driver} driver is not available in this Director build for cloud '{name}'");
        return problems;
    }
}

/// <summary>An unknown driver or a bad cloud name stops the start-up; missing keys only mark the cloud unhealthy.</summary>
public sealed class CloudOptionsValidator : IValidateOptions<CloudOptions>
{
    public ValidateOptionsResult Validate(string? name, CloudOptions o)
    {
        var problems = new List<string>();
        foreach (var (cloud, settings) in o.Clouds)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(cloud, "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))
                problems.Add($"{CloudOptions.Section}:{cloud} is not a valid cloud name (letters, digits, '.', '_', '-')");
            if (!CloudDrivers.RequiredKeys.ContainsKey(settings.Driver))
                problems.Add($"{CloudOptions.Section}:{cloud}:Driver '{settings.Driver}' is not one of [{string.Join(", ", CloudDrivers.RequiredKeys.Keys)}]");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
