using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Conpaas.Fakes;
using Npgsql;

namespace Conpaas.Bench;

/// <summary>Runs P1–P10 with their baselines and writes the table. P1–P4 and P7 use only the Director's public paths.</summary>
public static class Harness
{
    public static async Task<int> Run(BenchOptions o)
    {
        var dll = o.DirectorDll ?? Director.DefaultDll;
        var server = await Pg.LocateServer(o);
        var runId = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture) + Random.Shared.Next(0x1000, 0xffff).ToString("x", CultureInfo.InvariantCulture);
        await using var pg = new Pg(server, runId, o.KeepDatabases);
        var machine = await Machine.Describe(pg, dll);
        Log.Info($"bench {runId}: scale {o.Scale}, {o.Repetitions} repetitions, {machine["cores"]} cores, Director {dll}");

        var p1 = new Row("P1", $"authenticated GraphQL mutations/s over HTTP (createApplication + renameApplication), {o.P1Clients} concurrent clients")
        { Target = "≥ 25% of the raw insert rate" };
        var p2 = new Row("P2", $"latency of the same mutations at {o.P2Clients} clients") { Target = "p99 ≤ 20 ms" };
        var p3 = new Row("P3", $"VMs/s from request to RUNNING on the sim cloud (zero latency), {o.P3Vms:N0} VMs over {o.P3Services} services") { Target = "≥ 500 VMs/s" };
        var p4 = new Row("P4", $"commit → subscription frame latency (applicationChanged), {o.P4Subscribers} WebSocket subscribers") { Target = "p99 ≤ 25 ms" };
        var p5 = new Row("P5", $"full rebuild of every projection from {o.P5Events:N0} events") { Target = "≥ 50% of the raw read" };
        var p6 = new Row("P6", $"application(id, asOf) on a stream of {o.P6Events:N0} events (asOf in the middle), over HTTP") { Target = "≤ 50 ms" };
        var p7 = new Row("P7", $"resident memory with {o.P7Vms:N0} VMs tracked; time from process start to healthy") { Target = "≤ 250 MB and ≤ 3 s" };
        var p8 = new Row("P8", $"VMs/s from request to RUNNING on the ec2 driver against the fake EC2, {o.P8Vms:N0} VMs over {o.P8Services} services")
        { Target = "≥ 20% of the fake's create rate" };
        var p9 = new Row("P9", "the dashboard's script and style, gzipped (every asset its page names, as a browser fetches them)")
        { Target = "≤ 100 KB" };
        var p10 = new Row("P10", $"the applications page's first meaningful paint: navigation to the list of {o.P10Applications} applications shown, Chromium, signed in")
        { Target = "≤ 1,000 ms" };
        var rows = new List<Row> { p1, p2, p3, p4, p5, p6, p7, p8, p9, p10 };
        foreach (var r in rows.Where(r => !o.Runs(r.Id))) r.NotMeasured = "not selected (--only)";
        var notes = new List<string>();
        var failed = false;
        var starts = new List<double>();

        async Task Guard(Row row, Func<Task> body)
        {
            if (!o.Runs(row.Id)) return;
            var loadBefore = Machine.LoadAverage();
            try
            {
                await body();
                row.Notes.Add($"machine load average (1 min) before / after: {loadBefore} / {Machine.LoadAverage()}");
            }
            catch (Exception ex)
            {
                failed = true;
                row.NotMeasured = "failed: " + ex.Message.Split('\n')[0];
                row.Metrics.Clear();
                Log.Info($"{row.Id} failed: {ex}");
            }
        }

        // ---- Raw baselines on a database of their own; each repetition runs right before the figure's repetition it is
        // compared with, so that both see the same load on a shared machine.
        var rawCs = await pg.CreateDatabase("raw");
        var insert1 = new Metric("", "rows/s", []);
        var insert100 = new Metric("", "rows/s", []);
        var notifyP50 = new Metric("p50", "ms", [], 2);
        var notifyP99 = new Metric("p99", "ms", [], 2);
        async Task Insert1(int rep)
        {
            insert1.Runs.Add(await Raw.InsertRate(rawCs, o.RawConnections, 1, o.WarmupSeconds, o.Seconds));
            Log.Info($"baseline single-row inserts, rep {rep + 1}: {insert1.Runs[^1]:N0} rows/s");
        }

        async Task Insert100(int rep)
        {
            insert100.Runs.Add(await Raw.InsertRate(rawCs, o.RawConnections, 100, o.WarmupSeconds, o.Seconds));
            Log.Info($"baseline 100-row batches, rep {rep + 1}: {insert100.Runs[^1]:N0} rows/s");
        }

        async Task Notify(int rep)
        {
            var rtt = await Raw.NotifyRoundTrips(rawCs, o.NotifySamples);
            notifyP50.Runs.Add(Stats.Percentile(rtt, 50));
            notifyP99.Runs.Add(Stats.Percentile(rtt, 99));
            Log.Info($"baseline NOTIFY round trip, rep {rep + 1}: p50 {notifyP50.Runs[^1]:0.00} ms, p99 {notifyP99.Runs[^1]:0.00} ms");
        }

        p1.BaselineWhat = $"raw Npgsql single-row insert transactions, {o.RawConnections} connections, mt_events-shaped table";
        p1.Baseline.Add(insert1);
        p3.BaselineWhat = $"raw Npgsql 100-row batches (one transaction each), {o.RawConnections} connections";
        p3.Baseline.Add(insert100);
        p4.BaselineWhat = "PostgreSQL NOTIFY round trip (LISTEN on one connection, NOTIFY from another)";
        p4.Baseline.Add(notifyP50);
        p4.Baseline.Add(notifyP99);

        // ---- Director A: P1, P2, P4, P6, P3 over its public API.
        if (new[] { "P1", "P2", "P3", "P4", "P6", "P7" }.Any(o.Runs))
        {
            var aCs = await pg.CreateDatabase("a");
            await using var a = await Director.Start(dll, aCs, o.DirectorEnvironment);
            starts.Add(a.StartToHealthy.TotalSeconds);
            Log.Info($"Director A healthy after {a.StartToHealthy.TotalSeconds:0.00} s on {a.BaseAddress}");
            using var gql = new Gql(a.BaseAddress);
            var tokens = new List<string>();
            for (var i = 0; i < Math.Max(o.P1Clients, o.P2Clients); i++) tokens.Add(await gql.RegisterAndLogin($"bench{i}"));

            await Guard(p1, async () =>
            {
                var m = new Metric("", "mutations/s", []);
                var cpuNotes = new List<string>();
                var statements = new Dictionary<string, int>();
                for (var rep = 0; rep < o.Repetitions; rep++)
                {
                    await Insert1(rep);
                    var meter = await CpuMeter.Start(a.Pid, aCs);
                    await using var probe = await Profile.Probe.Start(aCs);
                    var result = await Mutations.Run(gql, tokens, o.P1Clients, o.WarmupSeconds, o.Seconds, $"p1r{rep}");
                    var cpu = await meter.Stop();
                    foreach (var (statement, n) in (await probe.Stop()).Statements) statements[statement] = statements.GetValueOrDefault(statement) + n;
                    cpuNotes.Add(cpu.PerUnit(result.Total, "mutation")); // warm-up and window, over every mutation in them
                    if (result.Errors > 0) throw new InvalidOperationException($"{result.Errors} mutations failed");
                    m.Runs.Add(result.PerSecond);
                    Log.Info($"P1 rep {rep + 1}: {result.PerSecond:N0} mutations/s (p50 {Stats.Percentile(result.LatenciesMs, 50):0.0} ms, p99 {Stats.Percentile(result.LatenciesMs, 99):0.0} ms)");
                }

                p1.Metrics.Add(m);
                var ratios = m.Runs.Zip(insert1.Runs, (x, y) => x / y).ToList();
                p1.Ratio = $"{m.Median / insert1.Median:P1}";
                p1.Met = m.Median / insert1.Median >= 0.25;
                p1.Notes.Add(cpuNotes[cpuNotes.Count / 2] + " (middle repetition; /proc/<pid>/stat over the whole window)");
                // The same raw inserts with a NOTIFY in each transaction: what the Director's appending transactions carried until
                // NotifyOnCommit moved the NOTIFY after the commit (kept to show what that costs on this machine).
                var notifying = new List<double>();
                for (var rep = 0; rep < o.Repetitions; rep++)
                    notifying.Add(await Raw.InsertRate(rawCs, o.RawConnections, 1, o.WarmupSeconds, o.Seconds, notify: true));
                Log.Info($"raw single-row inserts with pg_notify in each transaction: {string.Join(" / ", notifying.Select(x => x.ToString("N0", CultureInfo.InvariantCulture)))} rows/s");
                p1.Notes.Add($"the raw single-row inserts with a pg_notify in each transaction (what every event-appending Director transaction carried before NotifyOnCommit moved it after the commit): " +
                             $"{Stats.Median(notifying):N0} rows/s ({string.Join(" / ", notifying.Select(x => x.ToString("N0", CultureInfo.InvariantCulture)))}), " +
                             $"{Stats.Median(notifying) / insert1.Median:P0} of the rate without; measured after P1");
                var busy = Math.Max(1, statements.Values.Sum());
                p1.Notes.Add("what the Director's PostgreSQL backends were doing when sampled busy (pg_stat_activity every 10 ms, all repetitions): " +
                             string.Join("; ", statements.OrderByDescending(x => x.Value).Take(6).Select(x => $"{x.Key} {x.Value * 100.0 / busy:0}%")));
                p1.Notes.Add($"each repetition ran right after a repetition of its baseline; ratio per repetition: {string.Join(" / ", ratios.Select(r => r.ToString("P1", CultureInfo.InvariantCulture)))}");
            });

            await Guard(p2, async () =>
            {
                var p50 = new Metric("p50", "ms", [], 1);
                var p99 = new Metric("p99", "ms", [], 1);
                var rate = new List<double>();
                for (var rep = 0; rep < o.Repetitions; rep++)
                {
                    var result = await Mutations.Run(gql, tokens, o.P2Clients, o.WarmupSeconds, o.Seconds, $"p2r{rep}");
                    if (result.Errors > 0) throw new InvalidOperationException($"{result.Errors} mutations failed");
                    p50.Runs.Add(Stats.Percentile(result.LatenciesMs, 50));
                    p99.Runs.Add(Stats.Percentile(result.LatenciesMs, 99));
                    rate.Add(result.PerSecond);
                    Log.Info($"P2 rep {rep + 1}: p50 {p50.Runs[^1]:0.0} ms, p99 {p99.Runs[^1]:0.0} ms ({result.PerSecond:N0} mutations/s, {result.LatenciesMs.Count} samples)");
                }

                p2.Metrics.Add(p50);
                p2.Metrics.Add(p99);
                p2.Met = p99.Median <= 20;
                p2.Notes.Add($"throughput at {o.P2Clients} clients: {Stats.Median(rate):N0} mutations/s (median)");
            });

            await Guard(p4, async () =>
            {
                if (await WsFanout.Unavailable(a.BaseAddress) is { } why)
                {
                    for (var rep = 0; rep < o.Repetitions; rep++) await Notify(rep);
                    p4.NotMeasured = "no WebSocket transport (" + why + ")";
                    return;
                }

                // Only the owner and administrators may see an application; 50 subscriptions per user is the default cap.
                var admin = await gql.Login("admin", Director.AdminPassword);
                var app = await gql.CreateApp(tokens[0], "p4-app");
                var subscriberTokens = Enumerable.Range(0, o.P4Subscribers).Select(i => i % 2 == 0 ? tokens[0] : admin).ToList();
                await using var fanout = await WsFanout.Open(a.BaseAddress, subscriberTokens, app);
                Task Rename(string name) => gql.RenameApp(tokens[0], app, name);
                await fanout.WaitUntilLive(Rename, "p4");
                var p50 = new Metric("p50", "ms", [], 1);
                var p99 = new Metric("p99", "ms", [], 1);
                var cpuNotes = new List<string>();
                for (var rep = 0; rep < o.Repetitions; rep++)
                {
                    await Notify(rep);
                    var all = new List<double>();
                    var meter = await CpuMeter.Start(a.Pid, aCs);
                    for (var round = 0; round < o.P4Rounds; round++)
                    {
                        all.AddRange(await fanout.Round(Rename, $"p4-r{rep}-{round}"));
                        await Task.Delay(20);
                    }

                    cpuNotes.Add((await meter.Stop()).PerUnit(all.Count, "frame"));

                    p50.Runs.Add(Stats.Percentile(all, 50));
                    p99.Runs.Add(Stats.Percentile(all, 99));
                    Log.Info($"P4 rep {rep + 1}: p50 {p50.Runs[^1]:0.0} ms, p99 {p99.Runs[^1]:0.0} ms over {all.Count} frames");
                }

                p4.Metrics.Add(p50);
                p4.Metrics.Add(p99);
                p4.Ratio = $"p99 {p99.Median / notifyP99.Median:0.#}× the NOTIFY p99";
                p4.Notes.Add(cpuNotes[cpuNotes.Count / 2] + " (middle repetition; each round is one renameApplication and its frames)");
                p4.Met = p99.Median <= 25;
                p4.Notes.Add($"latency = from sending renameApplication over HTTP to the frame's arrival, for each of the {o.P4Subscribers} subscribers " +
                             $"(half the owner's, half an administrator's), {o.P4Rounds} sequential renames per repetition");
            });

            await Guard(p6, async () =>
            {
                var token = tokens[0];
                var app = await gql.CreateApp(token, "p6-app");
                var appId = Guid.Parse(app);
                var perCommit = Math.Clamp(o.P6Events / 100, 1, 100);
                using (var store = EventLog.Store(aCs))
                {
                    var t0 = Stopwatch.GetTimestamp();
                    await EventLog.AppendRenames(store, appId, o.P6Events - 1, perCommit, "p6");
                    Log.Info($"P6: appended {o.P6Events - 1:N0} renames in {Stats.SecondsSince(t0):0.0} s");
                }

                await using var conn = new NpgsqlConnection(aCs);
                await conn.OpenAsync();
                await using var find = new NpgsqlCommand(
                    $"select timestamp from {EventLog.Schema}.mt_events where stream_id = @id and version = @v", conn);
                find.Parameters.AddWithValue("id", appId);
                find.Parameters.AddWithValue("v", (long)(o.P6Events / 2 + 1));
                var asOf = (DateTime)(await find.ExecuteScalarAsync())!;
                await using var expect = new NpgsqlCommand(
                    $"select data->>'name', version from {EventLog.Schema}.mt_events where stream_id = @id and timestamp <= @t and type = 'application_renamed' order by version desc limit 1", conn);
                expect.Parameters.AddWithValue("id", appId);
                expect.Parameters.AddWithValue("t", asOf);
                string expectedName;
                long expectedVersion;
                await using (var reader = await expect.ExecuteReaderAsync())
                {
                    await reader.ReadAsync();
                    expectedName = reader.GetString(0);
                    expectedVersion = reader.GetInt64(1);
                }

                var asOfText = new DateTimeOffset(asOf, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture);
                const string query = "query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { id name version } }";
                async Task<double> Once()
                {
                    var t0 = Stopwatch.GetTimestamp();
                    var data = await gql.Send(query, new { id = app, t = asOfText }, token);
                    var ms = Stats.Ms(t0, Stopwatch.GetTimestamp());
                    var got = data.GetProperty("application");
                    if (got.GetProperty("name").GetString() != expectedName || got.GetProperty("version").GetInt64() != expectedVersion)
                        throw new InvalidOperationException($"P6: asOf answered {got} instead of {expectedName} v{expectedVersion}");
                    return ms;
                }

                for (var i = 0; i < 3; i++) await Once(); // warm-up
                var m = new Metric("", "ms", [], 1);
                for (var rep = 0; rep < o.Repetitions; rep++)
                {
                    var samples = new List<double>();
                    for (var q = 0; q < o.P6Queries; q++) samples.Add(await Once());
                    m.Runs.Add(Stats.Median(samples));
                    Log.Info($"P6 rep {rep + 1}: median {m.Runs[^1]:0.0} ms (min {samples.Min():0.0}, max {samples.Max():0.0}) over {o.P6Queries} queries");
                }

                p6.Metrics.Add(m);
                p6.Met = m.Median <= 50;
                p6.Notes.Add($"each repetition is the median of {o.P6Queries} sequential queries; the answer is the application at version {expectedVersion:N0} " +
                             $"(renames appended directly in commits of {perCommit}, the harness checks the name and version)");
            });

            await Guard(p3, async () =>
            {
                var token = await gql.RegisterAndLogin("p3user");
                var m = new Metric("", "VMs/s", []);
                var cpuNotes = new List<string>();
                var seconds = new List<double>();
                for (var rep = 0; rep < o.Repetitions; rep++)
                {
                    var setup = await VmRamp.Prepare(gql, token, o.P3Services, $"p3r{rep}");
                    await Insert100(rep);
                    var meter = await CpuMeter.Start(a.Pid, aCs);
                    var result = await VmRamp.Run(gql, setup, o.P3Vms, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5));
                    await Task.Delay(TimeSpan.FromSeconds(1.5)); // the last handlers, and PostgreSQL's statistics flush
                    var cpu = await meter.Stop();
                    cpuNotes.Add($"{cpu.PerUnit(result.Vms, "VM")}; {cpu.Commits / (double)result.Vms:0.0} transactions (pg_stat_database xact_commit: every autocommit read counts) and {cpu.Rollbacks / (double)result.Vms:0.00} rollbacks per VM");
                    m.Runs.Add(result.VmsPerSecond);
                    seconds.Add(result.Seconds);
                    Log.Info($"P3 rep {rep + 1}: {result.Vms} VMs RUNNING in {result.Seconds:0.00} s = {result.VmsPerSecond:N0} VMs/s ({result.Mutations} mutations, {result.Polls} polls)");
                }

                p3.Metrics.Add(m);
                p3.Ratio = $"{m.Median / insert100.Median:P2} of the rows/s";
                p3.Notes.Add(cpuNotes[cpuNotes.Count / 2] + " (middle repetition, from the first startService to 1.5 s after the last VM)");
                p3.Notes.Add($"ratio per repetition: {string.Join(" / ", m.Runs.Zip(insert100.Runs, (x, y) => (x / y).ToString("P2", CultureInfo.InvariantCulture)))}");
                p3.Met = m.Median >= 500;
                p3.Notes.Add($"timed from the first startService until a poll (every 50 ms) shows every service RUNNING after its addNodes; then checked with `vms`. " +
                             $"Seconds per repetition: {string.Join(" / ", seconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))}");
            });
        }

        // ---- P5: the Director's event store, loaded directly, every read model rebuilt by the product's one-pass rebuild
        // (what `Conpaas.Api.dll rebuild` runs); Marten's daemon rebuild of each projection in the same repetition, for comparison.
        await Guard(p5, async () =>
        {
            var cs = await pg.CreateDatabase("p5");
            using var store = EventLog.Store(cs);
            var t0 = Stopwatch.GetTimestamp();
            var loaded = await EventLog.Load(store, cs, o.P5Events);
            Log.Info($"P5: {loaded:N0} events written in {Stats.SecondsSince(t0):0.0} s; projections: {string.Join(", ", EventLog.ProjectionTypes(store).Select(t => t.Name))}");
            var rebuild = new Metric("", "events/s", []);
            var daemon = new Metric("", "events/s", []);
            var raw = new Metric("", "rows/s", []);
            var perProjection = new List<List<(string Name, double Seconds)>>();
            for (var rep = 0; rep < o.Repetitions; rep++)
            {
                var (rows, readSeconds) = await EventLog.RawRead(cs);
                if (rows != loaded) throw new InvalidOperationException($"read {rows} rows, wrote {loaded}");
                raw.Runs.Add(rows / readSeconds);

                var times = await EventLog.RebuildAll(store);
                perProjection.Add(times);
                daemon.Runs.Add(loaded / times.Sum(t => t.Seconds));
                await CheckRebuilt(cs);
                var byDaemon = await EventLog.Fingerprint(cs);

                // Damaged read models first: the rebuild must replace them, not add to them.
                await EventLog.Damage(cs);
                var seconds = await EventLog.RebuildProduct(store);
                rebuild.Runs.Add(loaded / seconds);
                await CheckRebuilt(cs);
                var byProduct = await EventLog.Fingerprint(cs);
                if (byProduct != byDaemon)
                    throw new InvalidOperationException($"P5: the one-pass rebuild differs from Marten's: {byProduct} vs {byDaemon}");
                Log.Info($"P5 rep {rep + 1}: raw read {readSeconds:0.00} s ({raw.Runs[^1]:N0} rows/s); one-pass rebuild {seconds:0.00} s ({rebuild.Runs[^1]:N0} events/s); " +
                         $"Marten's daemon {times.Sum(t => t.Seconds):0.00} s ({daemon.Runs[^1]:N0} events/s): " + string.Join(", ", times.Select(t => $"{t.Name} {t.Seconds:0.00} s")));
            }

            p5.Metrics.Add(rebuild);
            p5.BaselineWhat = "raw sequential read of the same event rows (Npgsql, in seq_id order)";
            p5.Baseline.Add(raw);
            p5.Ratio = $"{rebuild.Median / raw.Median:P1}";
            p5.Met = rebuild.Median / raw.Median >= 0.5;
            var median = perProjection.OrderBy(p => p.Sum(t => t.Seconds)).ElementAt(perProjection.Count / 2);
            p5.Notes.Add($"events/s = events in the log ÷ the time of the product's one-pass rebuild of all {median.Count} projections " +
                         "(ReadModelRebuild.Run, what `Conpaas.Api.dll rebuild` runs: one read of the log, aggregates in memory, COPY, one transaction), " +
                         "over read models damaged first (documents deleted and altered); its documents are checked against the log and equal to Marten's rebuild's (same ids, data and versions)");
            p5.Notes.Add($"for comparison, Marten's daemon.RebuildProjectionAsync of each projection one after another in the same repetitions: " +
                         $"**{daemon.Median:N0}** events/s ({string.Join(" / ", daemon.Runs.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}), " +
                         $"{daemon.Median / raw.Median:P1} of the raw read; seconds per projection in the median repetition: {string.Join(", ", median.Select(t => $"{t.Name} {t.Seconds:0.00}"))}");
        });

        // ---- P7: fresh Directors for the start-up time; the last one tracks the VMs.
        await Guard(p7, async () =>
        {
            while (starts.Count < o.Repetitions - 1)
            {
                await using var d = await Director.Start(dll, await pg.CreateDatabase($"s{starts.Count}"), o.DirectorEnvironment);
                starts.Add(d.StartToHealthy.TotalSeconds);
                Log.Info($"P7: a fresh Director was healthy after {starts[^1]:0.00} s");
            }

            var cs = await pg.CreateDatabase("p7");
            var rss = new Metric("RSS", "MB", []);
            double peak;
            string split;
            await using (var c = await Director.Start(dll, cs, o.DirectorEnvironment))
            {
                starts.Add(c.StartToHealthy.TotalSeconds);
                Log.Info($"P7: Director C healthy after {starts[^1]:0.00} s");
                using var gql = new Gql(c.BaseAddress);
                var token = await gql.RegisterAndLogin("p7user");
                var services = o.P7Vms / 10;
                var setup = await VmRamp.Prepare(gql, token, services, "p7");
                var result = await VmRamp.Run(gql, setup, o.P7Vms, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(10));
                Log.Info($"P7: {result.Vms:N0} VMs RUNNING in {result.Seconds:0.0} s ({result.VmsPerSecond:N0} VMs/s); settling {o.P7SettleSeconds} s");
                p7.Notes.Add($"the {result.Vms:N0} VMs ({services} helloworld services × 10 on the sim cloud) were created over GraphQL like P3: " +
                             $"{result.VmsPerSecond:N0} VMs/s at that scale; RSS read from /proc/<pid>/status VmRSS after {o.P7SettleSeconds} s of rest " +
                             $"(reconciliation every 10 s and VM-hour charging every minute run over all of them), {o.Repetitions} samples 1 s apart");
                await Task.Delay(TimeSpan.FromSeconds(o.P7SettleSeconds));
                for (var i = 0; i < o.Repetitions; i++)
                {
                    if (i > 0) await Task.Delay(1000);
                    rss.Runs.Add(c.Memory().Rss * 1024 * 1024 / 1e6);
                }

                var mem = c.Memory();
                peak = mem.Peak * 1024 * 1024 / 1e6;
                split = $"RSS right after start {c.HealthyRss:N0} MB; at the end {mem.Anon * 1024 * 1024 / 1e6:N0} MB anonymous (GC heaps, JIT'd code, native buffers) + " +
                        $"{mem.File * 1024 * 1024 / 1e6:N0} MB file-backed (assemblies, runtime)";
            }

            // A restart on the same log; the sim cloud lives in the process and is empty now, so the agents stay off
            // (reconciliation would otherwise mark every VM LOST while the Director starts).
            await using (var again = await Director.Start(dll, cs, new Dictionary<string, string>(o.DirectorEnvironment) { ["Agents__Enabled"] = "false" }))
                p7.Notes.Add($"a restart on the database with the {o.P7Vms:N0} VMs (agents off) was healthy after {again.StartToHealthy.TotalSeconds:0.00} s; " +
                             $"peak RSS (VmHWM) of the Director that made them: {peak:N0} MB; {split}");

            var start = new Metric("start→healthy", "s", starts, 2);
            p7.Metrics.Add(rss);
            p7.Metrics.Add(start);
            p7.Met = rss.Median <= 250 && start.Median <= 3;
            p7.Notes.Add("start→healthy: from Process.Start of `dotnet Conpaas.Api.dll` to the first 200 on /health, each on a fresh database " +
                         "(the schema is created during the start), one per repetition");
        });

        // ---- P8: Director E with an ec2 cloud whose ENDPOINT is the fake EC2 (in this process); the fake answers each
        // instance's readiness check itself, so the figure is the Director's pipeline over the EC2 API, not agents booting.
        await Guard(p8, async () =>
        {
            await using var fake = new FakeEc2 { AnswerHealth = true, Transition = TimeSpan.Zero };
            await fake.Start();
            const int calls = 8; // the driver's MAX_CONCURRENT_CALLS, set below: the baseline runs at the same concurrency
            var env = new Dictionary<string, string>(o.DirectorEnvironment)
            {
                ["Clouds__ec2__Driver"] = "ec2", ["Clouds__ec2__Keys__USER"] = FakeEc2.AccessKey, ["Clouds__ec2__Keys__PASSWORD"] = FakeEc2.SecretKey,
                ["Clouds__ec2__Keys__REGION"] = "us-east-1", ["Clouds__ec2__Keys__ENDPOINT"] = fake.Endpoint,
                ["Clouds__ec2__Keys__IMAGE_ID"] = FakeEc2.Image, ["Clouds__ec2__Keys__SIZE_ID"] = "t3.small",
                ["Clouds__ec2__Keys__KEY_NAME"] = "conpaas", ["Clouds__ec2__Keys__SECURITY_GROUP_NAME"] = "conpaas-bench",
                ["Clouds__ec2__Keys__MAX_CONCURRENT_CALLS"] = calls.ToString(CultureInfo.InvariantCulture),
            };
            var eCs = await pg.CreateDatabase("e");
            await using var e = await Director.Start(dll, eCs, env);
            using var gql = new Gql(e.BaseAddress);
            var token = await gql.RegisterAndLogin("p8user");
            var m = new Metric("", "VMs/s", []);
            var raw = new Metric("", "instances/s", []);
            var seconds = new List<double>();
            for (var rep = 0; rep < o.Repetitions; rep++)
            {
                var setup = await VmRamp.Prepare(gql, token, o.P8Services, $"p8r{rep}");
                raw.Runs.Add(await Ec2Raw.CreateRate(fake, o.P8Vms, calls, $"p8raw{rep}"));
                Log.Info($"baseline fake EC2 RunInstances, rep {rep + 1}: {raw.Runs[^1]:N0} instances/s");
                var result = await VmRamp.Run(gql, setup, o.P8Vms, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5), cloud: "ec2", row: "P8");
                m.Runs.Add(result.VmsPerSecond);
                seconds.Add(result.Seconds);
                Log.Info($"P8 rep {rep + 1}: {result.Vms} VMs RUNNING in {result.Seconds:0.00} s = {result.VmsPerSecond:N0} VMs/s ({result.Mutations} mutations, {result.Polls} polls)");
            }

            p8.Metrics.Add(m);
            p8.BaselineWhat = $"the fake EC2's create rate: a plain AWSSDK.EC2 client's RunInstances (one instance each), {calls} in flight";
            p8.Baseline.Add(raw);
            p8.Ratio = $"{m.Median / raw.Median:P1}";
            p8.Met = m.Median / raw.Median >= 0.20;
            p8.Notes.Add($"ratio per repetition: {string.Join(" / ", m.Runs.Zip(raw.Runs, (x, y) => (x / y).ToString("P1", CultureInfo.InvariantCulture)))}");
            p8.Notes.Add("timed like P3 (first startService to a poll showing every service RUNNING after its addNodes, then checked with `vms`); " +
                         "the fake's instances run at once and the fake answers their /health, so no agent boots. " +
                         $"Seconds per repetition: {string.Join(" / ", seconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))}");
        });

        // ---- P9, P10: Director F serves the built dashboard (bench.sh builds it); the browser is Debian's Chromium.
        if (new[] { "P9", "P10" }.Any(o.Runs))
        {
            var fCs = await pg.CreateDatabase("f");
            await using var f = await Director.Start(dll, fCs, o.DirectorEnvironment);
            await Guard(p9, async () =>
            {
                var (raw, gzip, files) = await DashboardFigures.PageWeight(f.BaseAddress, "/");
                var (_, graphiql, graphiqlFiles) = await DashboardFigures.PageWeight(f.BaseAddress, "/graphiql");
                p9.Metrics.Add(new Metric("", "KB", [gzip / 1000.0], 1));
                p9.BaselineWhat = $"GraphiQL's page on the same Director (graphiql 5 with Monaco and its workers, {graphiqlFiles} files)";
                p9.Baseline.Add(new Metric("", "KB", [graphiql / 1000.0], 1));
                p9.Ratio = $"{(double)gzip / graphiql:P1}";
                p9.Met = gzip <= 100_000;
                p9.Notes.Add($"{files} files, {raw / 1000.0:N1} KB before compression; sizes do not vary between runs (one measurement)");
            });
            await Guard(p10, async () =>
            {
                using var gql = new Gql(f.BaseAddress);
                var token = await gql.RegisterAndLogin("p10user");
                for (var i = 0; i < o.P10Applications; i++) await gql.CreateApp(token, $"p10-{i}");
                var (page, floor) = await DashboardFigures.Paint(f.BaseAddress, "p10user", "bench-pass-1", o.Repetitions);
                var m = new Metric("", "ms", page);
                var b = new Metric("", "ms", floor);
                p10.Metrics.Add(m);
                p10.BaselineWhat = "the same browser loading a static text page (/graphql/schema.graphql) from the same Director";
                p10.Baseline.Add(b);
                p10.Ratio = $"{m.Median / b.Median:0.0}×";
                p10.Met = m.Median <= 1000;
                p10.Notes.Add("from navigation start (the page's performance.now()) to the first animation frame showing the list: the page, " +
                              "its script and style, the session check and the applications query, and the render; a fresh browser context " +
                              "(nothing cached) each repetition, after one warm-up");
            });
        }

        var markdown = Report.Markdown(rows, o, machine, notes);
        Console.WriteLine(markdown);
        var path = o.Out ?? Path.Combine(Repo.Root, "bench", "results.md");
        if (path != "-")
        {
            await File.WriteAllTextAsync(path, markdown);
            Log.Info($"written to {path}");
        }

        return failed ? 1 : 0;
    }

    /// <summary>The rebuilt read models hold what the log says (a rebuild that did nothing would be fast).</summary>
    public static async Task CheckRebuilt(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            select (select count(*) from {EventLog.Schema}.mt_doc_vm where data->>'state' = 'RUNNING'),
                   (select count(*) from {EventLog.Schema}.mt_events where type = 'vm_requested'),
                   (select count(*) from {EventLog.Schema}.mt_doc_application),
                   (select count(*) from {EventLog.Schema}.mt_streams where type = 'application'),
                   (select count(*) from {EventLog.Schema}.mt_doc_streamowner),
                   (select count(*) from {EventLog.Schema}.mt_streams)
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        var (vms, vmStreams, apps, appStreams, owners, streams) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
        if (vms != vmStreams || apps != appStreams || owners != streams)
            throw new InvalidOperationException($"P5: the rebuilt read models do not match the log: {vms}/{vmStreams} VMs, {apps}/{appStreams} applications, {owners}/{streams} stream owners");
    }

}

public static class Machine
{
    /// <summary>The 1-minute load average: the harness shares the machine with whatever else runs on it.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    public static async Task<Dictionary<string, string>> Describe(Pg pg, string dll)
    {
        string Read(string file, string prefix) =>
            File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";
        static string Sh(string file, string args)
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root })!;
                var text = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return text;
            }
            catch (Exception)
            {
                return "?";
            }
        }

        var commit = Sh("git", "rev-parse --short HEAD");
        var dirty = Sh("git", "status --porcelain --untracked-files=no -- src").Length > 0;
        return new Dictionary<string, string>
        {
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["uname"] = Sh("uname", "-a"),
            ["cpu"] = Read("/proc/cpuinfo", "model name"),
            ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["memory"] = Read("/proc/meminfo", "MemTotal"),
            ["dotnet"] = RuntimeInformation.FrameworkDescription.Replace(".NET ", ""),
            ["postgres"] = await pg.Version(),
            ["build"] = $"{(dll.Contains("/Release/") ? "Release" : dll.Contains("/Debug/") ? "Debug" : "?")}, commit {commit}{(dirty ? " with uncommitted changes in src/" : "")}",
            ["load"] = LoadAverage(),
        };
    }
}
