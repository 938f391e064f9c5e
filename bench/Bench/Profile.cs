using System.Diagnostics;
using System.Globalization;
using System.Text;
using Conpaas.EventStore;
using JasperFx.Events.Projections;
using Marten;
using Npgsql;

namespace Conpaas.Bench;

/// <summary>
/// `--profile-p5`: where a full rebuild spends its time, and what Marten's rebuild options would change. For each
/// variant of the store configuration (the product's own first) every projection is rebuilt and measured: wall time,
/// CPU of this process (Marten: reading, deserialising, applying, serialising) and of this database's PostgreSQL
/// backends, transactions and row operations (pg_stat_database), and how often a backend was busy (pg_stat_activity
/// sampled every 10 ms), with the statements seen most.
/// </summary>
public static class Profile
{
    public sealed record Variant(string Name, string Change, Action<StoreOptions> Apply, string? BeforeRebuild = null);

    private const string OnePass = "one-pass";

    public static readonly Variant[] Variants =
    [
        new(OnePass, "the product's one-pass rebuild (ReadModelRebuild.Run, what `Conpaas.Api.dll rebuild` runs) over damaged read models; its phases (threads overlap)", _ => { }),
        new("product", "DirectorStore.Configure as is", _ => { }),
        new("optimized", "opts.Events.UseOptimizedProjectionRebuilds = true", o => o.Events.UseOptimizedProjectionRebuilds = true),
        new("batch-5000", "Options.BatchSize = 5000 on every projection (default 500)", o => EachProjection(o, p => p.Options.BatchSize = 5000)),
        new("cache", "Options.CacheLimitPerTenant = 100000 on every projection", o => EachProjection(o, p => p.Options.CacheLimitPerTenant = 100_000)),
        new("deferred-copy", "Options.RebuildFlushThreshold = 20000 + opts.Projections.RebuildWithBulkCopy = true",
            o =>
            {
                EachProjection(o, p => p.Options.RebuildFlushThreshold = 20_000);
                o.Projections.RebuildWithBulkCopy = true;
            }),
        new("batch+deferred-copy", "batch-5000 + deferred-copy",
            o =>
            {
                EachProjection(o, p =>
                {
                    p.Options.BatchSize = 5000;
                    p.Options.RebuildFlushThreshold = 20_000;
                });
                o.Projections.RebuildWithBulkCopy = true;
            }),
        new("streamowner-insert", "batch+deferred-copy, and StreamOwnerProjection with ops.Insert instead of Create (COPY-able; its table is truncated first: Marten's rebuild teardown does not know the swapped-in projection's document type)",
            o =>
            {
                ReplaceProjection(o, "Conpaas.EventStore.History.StreamOwnerProjection", new StreamOwnerInsertProjection());
                EachProjection(o, p =>
                {
                    p.Options.BatchSize = 5000;
                    p.Options.RebuildFlushThreshold = 20_000;
                });
                o.Projections.RebuildWithBulkCopy = true;
            }, $"truncate table {EventLog.Schema}.mt_doc_streamowner"),
    ];

    /// <summary>Swaps one registered projection for another (by reflection on Marten's list; profiling only).</summary>
    private static void ReplaceProjection(StoreOptions o, string name, ProjectionBase replacement)
    {
        replacement.Lifecycle = ProjectionLifecycle.Inline;
        for (var type = o.Projections.GetType(); type is not null; type = type.BaseType)
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
                if (field.GetValue(o.Projections) is System.Collections.IList list)
                    for (var i = 0; i < list.Count; i++)
                        if (list[i] is ProjectionBase p && p.Name == name)
                        {
                            list[i] = replacement;
                            return;
                        }

        throw new InvalidOperationException($"no projection {name} found to replace among " +
            string.Join(", ", o.Projections.All.Select(p => $"{p.GetType().Name}:{(p as ProjectionBase)?.Name}")));
    }

    private static void EachProjection(StoreOptions o, Action<ProjectionBase> change)
    {
        foreach (var p in o.Projections.All.OfType<ProjectionBase>()) change(p);
    }

    public static async Task<int> Run(BenchOptions o, IReadOnlyList<string> only)
    {
        var server = await Pg.LocateServer(o);
        var runId = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture) + "p";
        await using var pg = new Pg(server, runId, o.KeepDatabases);
        var cs = await pg.CreateDatabase("p5prof");
        using (var loader = EventLog.Store(cs))
        {
            var t0 = Stopwatch.GetTimestamp();
            var n = await EventLog.Load(loader, cs, o.P5Events);
            Log.Info($"profile: {n:N0} events loaded in {Stats.SecondsSince(t0):0.0} s");
        }

        var (rows, readSeconds) = await EventLog.RawRead(cs);
        Log.Info($"profile: raw read {readSeconds:0.00} s = {rows / readSeconds:N0} rows/s");
        var report = new StringBuilder();
        report.AppendLine($"P5 profile: {o.P5Events:N0} events, {Environment.ProcessorCount} cores; raw sequential read {readSeconds:0.00} s ({rows / readSeconds:N0} rows/s); load average {Machine.LoadAverage()}");
        report.AppendLine();
        report.AppendLine("| variant | projection | wall s | harness CPU s | PostgreSQL CPU s | DB busy | events/s (all projections) | top statements (share of busy samples) |");
        report.AppendLine("|---|---|---|---|---|---|---|---|");
        // In the order given, repeats allowed: `product,deferred-copy,product` brackets a variant to see the load drift.
        var chosen = only.Count == 0 ? Variants.ToList() : only.Select(n => Variants.Single(v => v.Name == n)).ToList();
        foreach (var variant in chosen)
        {
            using var store = DocumentStore.For(opts =>
            {
                DirectorStore.Configure(opts, cs, EventLog.Schema);
                variant.Apply(opts);
            });
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            if (variant.BeforeRebuild is { } sql)
            {
                await using var conn = new NpgsqlConnection(cs);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand(sql, conn);
                await cmd.ExecuteNonQueryAsync();
            }

            if (variant.Name == OnePass)
            {
                await EventLog.Damage(cs);
                await using var probe = await Probe.Start(cs);
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var rebuilt = await Conpaas.EventStore.Rebuild.ReadModelRebuild.Run(store);
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                var p = await probe.Stop();
                await Harness.CheckRebuilt(cs);
                var wall = rebuilt.Elapsed.TotalSeconds;
                report.AppendLine($"| {variant.Name} | all, phases: {rebuilt.Phases} | {wall:0.00} | {cpu:0.00} | {p.BackendCpu:0.00} | {p.Busy:P0} | " +
                                  $"{o.P5Events / wall:N0} ({o.P5Events / wall / (rows / readSeconds):P1} of the raw read) | {p.TopStatements} |");
                Log.Info($"profile {variant.Name}: {wall:0.00} s wall = {o.P5Events / wall:N0} events/s, {o.P5Events / wall / (rows / readSeconds):P1} of the raw read; " +
                         $"harness CPU {cpu:0.00} s, PostgreSQL CPU {p.BackendCpu:0.00} s; load {Machine.LoadAverage()}; {rebuilt.Phases}");
                continue;
            }

            using var daemonHandle = (IDisposable)await store.BuildProjectionDaemonAsync();
            var daemon = (JasperFx.Events.Daemon.IProjectionDaemon)daemonHandle;
            double total = 0;
            var lines = new List<string>();
            foreach (var type in EventLog.ProjectionTypes(store))
            {
                await using var probe = await Probe.Start(cs);
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var t0 = Stopwatch.GetTimestamp();
                await daemon.RebuildProjectionAsync(type, TimeSpan.FromMinutes(15), CancellationToken.None);
                var wall = Stats.SecondsSince(t0);
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                var p = await probe.Stop();
                total += wall;
                lines.Add($"| {variant.Name} | {type.Name} | {wall:0.00} | {cpu:0.00} | {p.BackendCpu:0.00} | {p.Busy:P0} | | {p.TopStatements} |");
                Log.Info($"profile {variant.Name} {type.Name}: {wall:0.00} s wall, harness CPU {cpu:0.00} s, PostgreSQL CPU {p.BackendCpu:0.00} s, busy {p.Busy:P0}");
            }

            await Harness.CheckRebuilt(cs);
            lines[^1] = lines[^1].Replace("|  |", $"| {o.P5Events / total:N0} ({total:0.0} s; {o.P5Events / total / (rows / readSeconds):P1} of the raw read) |");
            foreach (var l in lines) report.AppendLine(l);
            Log.Info($"profile {variant.Name}: all projections {total:0.0} s = {o.P5Events / total:N0} events/s ({variant.Change})");
        }

        report.AppendLine();
        foreach (var v in chosen.Distinct()) report.AppendLine($"- {v.Name}: {v.Change}");
        Console.WriteLine(report);
        return 0;
    }

    /// <summary>Samples this database's backends while a rebuild runs.</summary>
    internal sealed class Probe : IAsyncDisposable
    {
        private readonly NpgsqlConnection _conn;
        private readonly CancellationTokenSource _stop = new();
        private readonly Dictionary<int, (double First, double Last)> _cpu = [];
        private readonly Dictionary<string, int> _statements = [];
        private int _samples, _busy;
        private Task? _loop;

        private Probe(NpgsqlConnection conn) => _conn = conn;

        public sealed record Result(double BackendCpu, double Busy, string TopStatements, IReadOnlyDictionary<string, int> Statements);

        public static async Task<Probe> Start(string cs)
        {
            var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString);
            await conn.OpenAsync();
            var probe = new Probe(conn);
            probe._loop = Task.Run(probe.Loop);
            return probe;
        }

        private async Task Loop()
        {
            await using var cmd = new NpgsqlCommand(
                // A backend that is still starting has no state nor query yet (null).
                "select pid, coalesce(state, ''), coalesce(wait_event_type || ':' || wait_event, 'CPU'), left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 70) " +
                "from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'", _conn);
            while (!_stop.IsCancellationRequested)
            {
                var busy = false;
                var pids = new List<int>();
                await using (var r = await cmd.ExecuteReaderAsync())
                {
                    while (await r.ReadAsync())
                    {
                        pids.Add(r.GetInt32(0));
                        if (r.GetString(1) != "active") continue;
                        busy = true;
                        var key = $"{r.GetString(2)} `{r.GetString(3).Replace("|", "/")}`";
                        _statements[key] = _statements.GetValueOrDefault(key) + 1;
                    }
                }

                _samples++;
                if (busy) _busy++;
                foreach (var pid in pids)
                    if (CpuMeter.Seconds(pid) is { } s)
                        _cpu[pid] = _cpu.TryGetValue(pid, out var c) ? (c.First, s) : (s, s);
                try
                {
                    await Task.Delay(10, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        public async Task<Result> Stop()
        {
            await _stop.CancelAsync();
            await _loop!;
            var busySamples = Math.Max(1, _statements.Values.Sum());
            var top = string.Join("; ", _statements.OrderByDescending(p => p.Value).Take(3).Select(p => $"{p.Key} {p.Value * 100.0 / busySamples:0}%"));
            return new Result(_cpu.Values.Sum(c => c.Last - c.First), _samples == 0 ? 0 : (double)_busy / _samples, top, _statements);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
            if (_loop is not null) await _loop;
            await _conn.DisposeAsync();
        }
    }
}
