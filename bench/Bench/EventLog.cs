using System.Diagnostics;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore;
using Conpaas.EventStore.Rebuild;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Conpaas.Bench;

/// <summary>
/// P5 and P6 work on the event store directly (not a public path): a Marten store configured exactly like the
/// Director's (<see cref="DirectorStore.Configure"/>), events written into its own tables, projections rebuilt by
/// Marten's daemon.
/// </summary>
public static class EventLog
{
    public const string Schema = DirectorStore.DefaultSchema;

    public static DocumentStore Store(string cs) => DocumentStore.For(opts => DirectorStore.Configure(opts, cs, Schema));

    /// <summary>One event of the synthetic log: which stream, the stream's aggregate, the event.</summary>
    public readonly record struct Planned(Guid StreamId, string StreamType, object Data);

    /// <summary>
    /// A deterministic log of exactly <paramref name="total"/> events shaped like the Director's own: each tenant is a
    /// user with a login, an application with 10 helloworld services, each started (manager + node) and scaled out by
    /// 8 nodes on the sim cloud, every VM through REQUESTED → PROVISIONING → BOOTING → RUNNING (57 events a service,
    /// 574 a tenant). The last few events are renames of the last application.
    /// </summary>
    public static IEnumerable<Planned> Plan(int total, int seed = 42)
    {
        var random = new Random(seed);
        Guid Id()
        {
            Span<byte> b = stackalloc byte[16];
            random.NextBytes(b);
            return new Guid(b);
        }

        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var emitted = 0;
        var lastApp = Guid.Empty;
        const string hash = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2hzYWx0$YmVuY2hoYXNoYmVuY2hoYXNoYmVuY2hoYXNoYmVuY2g";
        for (var t = 0; emitted + 574 <= total; t++)
        {
            var tenant = new List<Planned>(574);
            var user = Id();
            var app = Id();
            tenant.Add(new(user, "user", new UserRegistered(user, $"p5user{t}", $"p5user{t}@bench.example", hash, null, null, null, Role.USER, 50, at)));
            tenant.Add(new(user, "user", new SessionStarted(Id(), Convert.ToHexString(Id().ToByteArray()) + Convert.ToHexString(Id().ToByteArray()), at.AddDays(1))));
            tenant.Add(new(app, "application", new ApplicationCreated(app, user, $"shop{t}", "172.16.0.0/12", at)));
            var vmNumber = 0;
            for (var sid = 1; sid <= 10; sid++)
            {
                var service = Id();
                var subnet = $"172.16.{(sid - 1) * 128 % 256}.0/17";
                tenant.Add(new(app, "application", new ServiceSubnetAllocated(service, sid, subnet)));
                tenant.Add(new(service, "service", new ServiceAdded(service, app, user, sid, "helloworld", "New helloworld service", subnet, at)));
                tenant.Add(new(service, "service", new ServiceStartRequested("sim", new Dictionary<string, int> { ["node"] = 1 })));
                foreach (var (reason, count) in new[] { (NodeRequestReason.Start, 2), (NodeRequestReason.Scale, 8) })
                {
                    var nodes = Enumerable.Range(0, count).Select(n =>
                    {
                        var number = ++vmNumber;
                        var role = reason == NodeRequestReason.Start && n == 0 ? VmRole.MANAGER : VmRole.AGENT;
                        return new NodeRequest(Id(), number, $"conpaas-u{t}-a{t}-s{sid}-helloworld-{number}", role,
                            role == VmRole.MANAGER ? null : "node", "sim", $"172.16.{(sid - 1) * 128 % 256}.{number}");
                    }).ToList();
                    tenant.Add(new(service, "service", new NodesRequested(reason, nodes)));
                    foreach (var n in nodes)
                        tenant.Add(new(n.VmId, "vm", new VmRequested(n.VmId, service, app, user, n.Name, "sim", n.Role, n.ServiceRole, "helloworld", n.VpnAddress, at)));
                    foreach (var n in nodes) tenant.Add(new(n.VmId, "vm", new VmProvisioning()));
                    foreach (var n in nodes) tenant.Add(new(n.VmId, "vm", new VmCreated($"sim-{t}-{n.Number}", $"10.99.{t % 250}.{n.Number}:5555")));
                    foreach (var n in nodes)
                    {
                        tenant.Add(new(n.VmId, "vm", new VmReady($"10.99.{t % 250}.{n.Number}:5555")));
                        tenant.Add(new(service, "service", new NodeReady(n.VmId, $"10.99.{t % 250}.{n.Number}:5555")));
                    }

                    tenant.Add(new(service, "service", new ServiceRunning()));
                }
            }

            tenant.Add(new(app, "application", new ApplicationRenamed($"shop{t}-renamed")));
            if (tenant.Count != 574) throw new InvalidOperationException($"tenant of {tenant.Count} events");
            foreach (var e in tenant) yield return e;
            emitted += tenant.Count;
            lastApp = app;
            at = at.AddMinutes(1);
        }

        if (lastApp == Guid.Empty && emitted < total)
        {
            // Too small for one tenant (smoke sizes): one application and its renames.
            var user = Id();
            lastApp = Id();
            yield return new(user, "user", new UserRegistered(user, "p5user", "p5user@bench.example", hash, null, null, null, Role.USER, 50, at));
            yield return new(lastApp, "application", new ApplicationCreated(lastApp, user, "shop", "172.16.0.0/12", at));
            emitted += 2;
        }

        for (var r = 0; emitted < total; r++, emitted++) yield return new(lastApp, "application", new ApplicationRenamed($"shop-rename-{r}"));
    }

    /// <summary>Writes the planned log with binary COPY into mt_streams and mt_events (as Marten would have stored it).</summary>
    public static async Task<int> Load(DocumentStore store, string cs, int total)
    {
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var serializer = store.Options.Serializer();
        var names = new Dictionary<Type, (string Type, string DotNet)>();

        var streams = new Dictionary<Guid, (string Type, long Version)>();
        foreach (var e in Plan(total))
            streams[e.StreamId] = streams.TryGetValue(e.StreamId, out var s) ? s with { Version = s.Version + 1 } : (e.StreamType, 1);

        var epoch = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using (var copy = await conn.BeginBinaryImportAsync(
                         $"copy {Schema}.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived) from stdin (format binary)"))
        {
            foreach (var (id, (type, version)) in streams)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(id, NpgsqlDbType.Uuid);
                await copy.WriteAsync(type, NpgsqlDbType.Varchar);
                await copy.WriteAsync(version, NpgsqlDbType.Bigint);
                await copy.WriteAsync(epoch, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(epoch, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
            }

            await copy.CompleteAsync();
        }

        var versions = new Dictionary<Guid, long>(streams.Count);
        long seq = 0;
        await using (var copy = await conn.BeginBinaryImportAsync(
                         $"copy {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, correlation_id, headers, user_name, is_archived) from stdin (format binary)"))
        {
            foreach (var e in Plan(total))
            {
                var eventType = e.Data.GetType();
                if (!names.TryGetValue(eventType, out var name))
                    names[eventType] = name = (EventCatalog.StoredName(eventType.Name), $"{eventType.FullName}, {eventType.Assembly.GetName().Name}");
                var version = versions[e.StreamId] = versions.GetValueOrDefault(e.StreamId) + 1;
                seq++;
                await copy.StartRowAsync();
                await copy.WriteAsync(seq, NpgsqlDbType.Bigint);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(e.StreamId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(version, NpgsqlDbType.Bigint);
                await copy.WriteAsync(serializer.ToJson(e.Data), NpgsqlDbType.Jsonb);
                await copy.WriteAsync(name.Type, NpgsqlDbType.Varchar);
                await copy.WriteAsync(epoch.AddMilliseconds(seq), NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar);
                await copy.WriteAsync(name.DotNet, NpgsqlDbType.Varchar);
                await copy.WriteAsync("bench-load", NpgsqlDbType.Varchar);
                await copy.WriteAsync("null", NpgsqlDbType.Jsonb);
                await copy.WriteAsync("bench", NpgsqlDbType.Varchar);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
            }

            await copy.CompleteAsync();
        }

        await using (var fix = new NpgsqlCommand($"select setval('{Schema}.mt_events_sequence', {seq})", conn))
            await fix.ExecuteNonQueryAsync();
        // Settled like a log that has been there a while (hint bits set, visibility map, statistics): otherwise the
        // first read after the load (P5's first raw read) also writes every page, and the baseline swings 4×.
        foreach (var table in new[] { "mt_events", "mt_streams" })
        {
            await using var vacuum = new NpgsqlCommand($"vacuum (analyze) {Schema}.{table}", conn) { CommandTimeout = 600 };
            await vacuum.ExecuteNonQueryAsync();
        }
        return (int)seq;
    }

    /// <summary>The projections the Director registers, in the order it registers them.</summary>
    public static IReadOnlyList<Type> ProjectionTypes(DocumentStore store) =>
        store.Options.Projections.All.Select(p => p.GetType()).ToList();

    /// <summary>Rebuilds every projection with Marten's daemon; the time of each.</summary>
    public static async Task<List<(string Name, double Seconds)>> RebuildAll(DocumentStore store)
    {
        var times = new List<(string, double)>();
        using var daemon = (IDisposable)await store.BuildProjectionDaemonAsync();
        var d = (JasperFx.Events.Daemon.IProjectionDaemon)daemon;
        foreach (var type in ProjectionTypes(store))
        {
            var t0 = Stopwatch.GetTimestamp();
            await d.RebuildProjectionAsync(type, TimeSpan.FromMinutes(15), CancellationToken.None);
            times.Add((type.Name, Stats.SecondsSince(t0)));
        }

        return times;
    }

    /// <summary>The product's one-pass rebuild of every read model (what `Conpaas.Api.dll rebuild` runs); its time in seconds.</summary>
    public static async Task<double> RebuildProduct(DocumentStore store)
    {
        var t0 = Stopwatch.GetTimestamp();
        await ReadModelRebuild.Run(store);
        return Stats.SecondsSince(t0);
    }

    /// <summary>Deletes some read-model documents and alters others, as a corrupted read model would look.</summary>
    public static async Task Damage(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($$"""
            delete from {{Schema}}.mt_doc_vm where id in (select id from {{Schema}}.mt_doc_vm limit 100);
            update {{Schema}}.mt_doc_service set data = jsonb_set(data, '{state}', '"STOPPED"') where id in (select id from {{Schema}}.mt_doc_service limit 100);
            delete from {{Schema}}.mt_doc_streamowner where id in (select id from {{Schema}}.mt_doc_streamowner limit 100);
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// One hash per projected table over every document's id, JSON data and version, to compare two rebuilds; the VM's
    /// `updatedAt` is left out of the data (a store-managed metadata field: loading a VM takes it from mt_last_modified).
    /// </summary>
    public static async Task<string> Fingerprint(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        var parts = new List<string>();
        foreach (var (table, version) in new[] { ("user", true), ("application", true), ("service", true), ("vm", true), ("sessionview", false), ("streamowner", false) })
        {
            await using var cmd = new NpgsqlCommand(
                $"select count(*) || ':' || coalesce(md5(string_agg(id::text || (data - 'updatedAt')::text {(version ? "|| mt_version::text" : "")}, ',' order by id)), '') from {Schema}.mt_doc_{table}", conn);
            parts.Add($"{table}={await cmd.ExecuteScalarAsync()}");
        }

        return string.Join(" ", parts);
    }

    /// <summary>The baseline: one sequential read of every event row (the columns a rebuild needs), in sequence order.</summary>
    public static async Task<(long Rows, double Seconds)> RawRead(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        var t0 = Stopwatch.GetTimestamp();
        await using var cmd = new NpgsqlCommand(
            $"select seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type from {Schema}.mt_events order by seq_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        long rows = 0, bytes = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            reader.GetInt64(0);
            reader.GetGuid(1);
            reader.GetGuid(2);
            reader.GetInt64(3);
            bytes += reader.GetString(4).Length;
            reader.GetString(5);
            reader.GetFieldValue<DateTimeOffset>(6);
            reader.GetString(7);
        }

        return (rows, Stats.SecondsSince(t0));
    }

    /// <summary>P6 setup: appends renames to an existing application stream in commits of <paramref name="perCommit"/>.</summary>
    public static async Task AppendRenames(DocumentStore store, Guid applicationId, int count, int perCommit, string tag)
    {
        for (var done = 0; done < count;)
        {
            var n = Math.Min(perCommit, count - done);
            await using var session = store.LightweightSession();
            session.Events.Append(applicationId, Enumerable.Range(done, n).Select(i => (object)new ApplicationRenamed($"{tag}-{i + 1}")).ToArray());
            await session.SaveChangesAsync();
            done += n;
        }
    }
}
