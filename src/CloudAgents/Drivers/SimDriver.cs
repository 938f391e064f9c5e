using System.Collections.Concurrent;
using System.Globalization;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>
/// An in-memory cloud for tests and benchmarks, with configurable latency and failures: an error before creating,
/// a timeout, "error but the VM was created", and duplicate delivery of a create. Keys: LATENCY_MS, BOOT_MS,
/// ERROR_RATE, TIMEOUT_RATE, CREATED_BUT_ERROR_RATE, DUPLICATE_RATE, NEVER_READY_RATE, SEED.
/// </summary>
public sealed class SimDriver : ICloudDriver
{
    public sealed record Settings(int LatencyMs, int BootMs, double ErrorRate, double TimeoutRate, double CreatedButErrorRate,
        double DuplicateRate, double NeverReadyRate, int? Seed)
    {
        public static Settings From(IReadOnlyDictionary<string, string?> keys)
        {
            double Rate(string key) => keys.TryGetValue(key, out var v) && v is not null ? double.Parse(v, CultureInfo.InvariantCulture) : 0;
            int Int(string key) => keys.TryGetValue(key, out var v) && v is not null ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
            return new Settings(Int("LATENCY_MS"), Int("BOOT_MS"), Rate("ERROR_RATE"), Rate("TIMEOUT_RATE"), Rate("CREATED_BUT_ERROR_RATE"),
                Rate("DUPLICATE_RATE"), Rate("NEVER_READY_RATE"), keys.ContainsKey("SEED") ? Int("SEED") : null);
        }
    }

    private sealed record SimVm(string Name, string ProviderId, string Address, DateTimeOffset ReadyAt, bool NeverReady);

    private readonly Settings _settings;
    private readonly TimeProvider _clock;
    private readonly Random _random;
    private readonly ConcurrentDictionary<string, SimVm> _vms = new();
    private int _next;

    public SimDriver(Settings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        _random = settings.Seed is { } seed ? new Random(seed) : Random.Shared;
    }

    /// <summary>How many VMs this cloud ever made: a second VM for one name would show here.</summary>
    public int CreatedCount => _next;

    public IReadOnlyCollection<string> Names => _vms.Keys.ToList();

    public async Task<CloudVm> Create(VmSpec spec, CancellationToken ct)
    {
        await Latency(ct);
        if (Roll(_settings.ErrorRate)) throw new CloudDriverException("simulated cloud error", transient: true);
        if (Roll(_settings.TimeoutRate)) throw new CloudDriverException("simulated timeout", transient: true);
        var vm = CreateOnce(spec);
        if (Roll(_settings.DuplicateRate)) vm = CreateOnce(spec);
        if (Roll(_settings.CreatedButErrorRate)) throw new CloudDriverException("simulated error after the VM was created", transient: true);
        return new CloudVm(vm.Name, vm.ProviderId, vm.Address, CloudVmStatus.Pending);
    }

    public Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<CloudVm>>(_vms.Values.Where(v => v.Name.StartsWith(namePrefix, StringComparison.Ordinal))
            .Select(v => new CloudVm(v.Name, v.ProviderId, v.Address, CloudVmStatus.Running)).ToList());

    public Task<CloudVm?> Describe(string name, CancellationToken ct) =>
        Task.FromResult(_vms.TryGetValue(name, out var v) ? new CloudVm(v.Name, v.ProviderId, v.Address, CloudVmStatus.Running) : null);

    public async Task Terminate(string name, CancellationToken ct)
    {
        await Latency(ct);
        _vms.TryRemove(name, out _);
    }

    public Task<bool> IsReady(CloudVm vm, CancellationToken ct) =>
        Task.FromResult(_vms.TryGetValue(vm.Name, out var v) && !v.NeverReady && _clock.GetUtcNow() >= v.ReadyAt);

    /// <summary>Makes a VM vanish, as a crash would.</summary>
    public bool Kill(string name) => _vms.TryRemove(name, out _);

    private SimVm CreateOnce(VmSpec spec) => _vms.GetOrAdd(spec.Name, name =>
    {
        var n = Interlocked.Increment(ref _next);
        return new SimVm(name, $"sim-{n}", $"10.99.{n / 250 % 250}.{n % 250 + 1}:5555",
            _clock.GetUtcNow().AddMilliseconds(_settings.BootMs), Roll(_settings.NeverReadyRate));
    });

    private bool Roll(double rate)
    {
        if (rate <= 0) return false;
        lock (_random) return _random.NextDouble() < rate;
    }

    private Task Latency(CancellationToken ct) => _settings.LatencyMs > 0 ? Task.Delay(_settings.LatencyMs, ct) : Task.CompletedTask;
}
