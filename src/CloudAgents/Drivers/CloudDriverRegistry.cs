using System.Collections.Concurrent;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain.Clouds;
using Microsoft.Extensions.Logging;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>One driver per configured cloud, made once; clouds whose driver is unavailable have none.</summary>
public sealed class CloudDriverRegistry
{
    /// <summary>How long a cloud's live health answer is reused: the clouds query must not call every cloud each time.</summary>
    public static readonly TimeSpan HealthCachedFor = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, ICloudDriver> _drivers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, Task<IReadOnlyList<string>> Problems)> _health = new(StringComparer.Ordinal);
    private readonly CloudCatalog _catalog;
    private readonly TimeProvider _clock;

    public CloudDriverRegistry(CloudCatalog catalog, IHttpClientFactory http, ILoggerFactory logs, TimeProvider clock, DirectorMetrics metrics)
    {
        _catalog = catalog;
        _clock = clock;
        foreach (var (name, settings) in catalog.Settings)
        {
            ICloudDriver? driver = settings.Driver switch
            {
                "local" => new LocalDriver(LocalSettings(settings), http, logs.CreateLogger<LocalDriver>()),
                "sim" => new SimDriver(SimDriver.Settings.From(settings.Keys), clock),
                // Without its keys (the catalog names them as the cloud's problems) an ec2 cloud has no driver.
                "ec2" when catalog.Directory.Clouds.Single(c => c.Name == name).IsHealthy => new Ec2Driver(Ec2Driver.Settings.From(settings.Keys), http, logs.CreateLogger<Ec2Driver>()),
                "openstack" => new OpenStack.OpenStackDriver(OpenStack.OpenStackSettings.From(settings.Keys), name, http, clock),
                "opennebula" => new OpenNebula.OpenNebulaDriver(OpenNebula.OpenNebulaSettings.From(settings.Keys), name, http),
                _ => null,
            };
            if (driver is not null) _drivers[name] = new MeteredDriver(driver, settings.Driver, metrics);
        }
    }

    public IReadOnlyDictionary<string, ICloudDriver> Drivers => _drivers;

    public ICloudDriver For(string cloud) =>
        _drivers.TryGetValue(cloud, out var driver)
            ? driver
            : throw new CloudDriverException($"Cloud '{cloud}' has no usable driver in this Director", transient: false);

    /// <summary>
    /// The clouds with their problems: the configuration's (missing keys, no driver) and, for a cloud whose
    /// configuration is complete, what its driver finds live (wrong credentials, unknown image, unreachable endpoint),
    /// checked at most once per <see cref="HealthCachedFor"/> and shared by concurrent callers.
    /// </summary>
    public async Task<IReadOnlyList<CloudInfo>> Health()
    {
        var clouds = _catalog.Directory.Clouds;
        var live = await Task.WhenAll(clouds.Select(c => c.IsHealthy && _drivers.TryGetValue(c.Name, out var driver)
            ? LiveProblems(c.Name, driver)
            : Task.FromResult<IReadOnlyList<string>>([])));
        return clouds.Select((c, i) => live[i].Count == 0 ? c : c with { Problems = [.. c.Problems, .. live[i]] }).ToList();
    }

    private Task<IReadOnlyList<string>> LiveProblems(string name, ICloudDriver driver)
    {
        var now = _clock.GetUtcNow();
        return _health.AddOrUpdate(name, _ => (now, Check(driver)),
            (_, cached) => now - cached.At < HealthCachedFor ? cached : (now, Check(driver))).Problems;
    }

    /// <summary>A check of its own, not the caller's: a cancelled query must not leave a cancelled answer in the cache.</summary>
    private static async Task<IReadOnlyList<string>> Check(ICloudDriver driver)
    {
        using var timeout = new CancellationTokenSource(HealthCheckTimeout);
        try
        {
            return await driver.Problems(timeout.Token);
        }
        catch (CloudDriverException ex)
        {
            return [ex.Message];
        }
        catch (OperationCanceledException)
        {
            return [$"The cloud did not answer its health check within {HealthCheckTimeout.TotalSeconds:0} s"];
        }
    }

    private static LocalDriver.Settings LocalSettings(CloudSettings settings)
    {
        string Key(string key, string fallback) => settings.Keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v : fallback;
        return new LocalDriver.Settings(
            Path.GetFullPath(Key("DATA_DIR", Path.Combine(Path.GetTempPath(), "conpaas-local-cloud"))),
            Key("ADDRESS_PREFIX", "127.100"),
            int.Parse(Key("PORT", "5555"), System.Globalization.CultureInfo.InvariantCulture),
            settings.Keys.TryGetValue("AGENT", out var agent) && !string.IsNullOrWhiteSpace(agent) ? agent : null);
    }
}
