using Conpaas.CloudAgents.Clouds;
using Microsoft.Extensions.Logging;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>One driver per configured cloud, made once; clouds whose driver is unavailable have none.</summary>
public sealed class CloudDriverRegistry
{
    private readonly Dictionary<string, ICloudDriver> _drivers = new(StringComparer.Ordinal);

    public CloudDriverRegistry(CloudCatalog catalog, IHttpClientFactory http, ILoggerFactory logs, TimeProvider clock)
    {
        foreach (var (name, settings) in catalog.Settings)
        {
            ICloudDriver? driver = settings.Driver switch
            {
                "local" => new LocalDriver(LocalSettings(settings), http, logs.CreateLogger<LocalDriver>()),
                "sim" => new SimDriver(SimDriver.Settings.From(settings.Keys), clock),
                "openstack" => new OpenStack.OpenStackDriver(OpenStack.OpenStackSettings.From(settings.Keys), name, http, clock),
                "opennebula" => new OpenNebula.OpenNebulaDriver(OpenNebula.OpenNebulaSettings.From(settings.Keys), name, http),
                _ => null,
            };
            if (driver is not null) _drivers[name] = driver;
        }
    }

    public IReadOnlyDictionary<string, ICloudDriver> Drivers => _drivers;

    public ICloudDriver For(string cloud) =>
        _drivers.TryGetValue(cloud, out var driver)
            ? driver
            : throw new CloudDriverException($"Cloud '{cloud}' has no usable driver in this Director", transient: false);

    private static LocalDriver.Settings LocalSettings(CloudSettings settings)
    {
        string Key(string key, string fallback) => settings.Keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v : fallback;
        return new LocalDriver.Settings(
            Path.GetFullPath(Key("DATA_DIR", Path.Combine(Path.GetTempPath(), "conpaas-local-cloud"))),
            Key("ADDRESS_PREFIX", "127.100"),
            int.Parse(Key("PORT", "5555"), System.Globalization.CultureInfo.InvariantCulture),
            Key("AGENT", Path.Combine(AppContext.BaseDirectory, "Conpaas.Agent.dll")));
    }
}
