using System.Diagnostics;
using System.Threading.Channels;
using JasperFx.Events.Projections;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace Conpaas.EventStore.Rebuild;

/// <summary>What a rebuild did: events read, time taken, and per projection how it was rebuilt and its document count.</summary>
public sealed record RebuildReport(long Events, TimeSpan Elapsed, IReadOnlyList<ProjectionRebuilt> Projections, RebuildPhases Phases)
{
    public override string ToString() =>
        $"{Events:N0} events read once in {Elapsed.TotalSeconds:0.00} s ({(Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0):N0} events/s)" +
        string.Concat(Projections.Select(p => $"\n  {p.Name}: {p.Documents:N0} documents in {p.Table} ({p.Method})")) +
        $"\n  time: {Phases}";
}

/// <summary>
/// Where a rebuild's time went, phase by phase (phases on different threads overlap, so they do not add up to the
/// elapsed time). 
/// </summary>
public sealed class RebuildPhases
{
    private readonly List<(string Name, Phase Phase)> _phases = [];

    public sealed class Phase
    {
        private long _ticks;

        public void Add(long ticks) => _ticks += ticks;

        /// <summary>For a phase several threads share.</summary>
        public void AddShared(long ticks) => Interlocked.Add(ref _ticks, ticks);

        public double Seconds => (double)_ticks / Stopwatch.Frequency;
    }

    public Phase this[string name]
    {
        get
        {
            lock (_phases)
            {
                foreach (var (n, p) in _phases)
                    if (n == name) return p;
                var phase = new Phase();
                _phases.Add((name, phase));
                return phase;
            }
        }
    }

    public IReadOnlyList<(string Name, double Seconds)> Seconds
    {
        get
        {
            lock (_phases) return _phases.Select(p => (p.Name, p.Phase.Seconds)).ToList();
        }
    }

    public override string ToString() => string.Join(", ", Seconds.Select(p => $"{p.Name} {p.Seconds:0.00} s"));
}

public sealed record ProjectionRebuilt(string Name, string Method, string Table, long Documents);

/// <summary>
/// Rebuilds every read model the store projects in one pass over the event log, in one transaction: the projected
/// tables are emptied, the log is read once in sequence order, every projection is applied (aggregates in memory),
/// and the documents are written with COPY. Nobody sees a half-built read model: readers of the emptied tables wait
/// for the commit (TRUNCATE locks them) and then see the new ones; appends wait for the rebuild (the log is locked
/// against writes, not reads), so nothing is missed or doubled. A failure anywhere rolls everything back.
/// Inline projections keep no progress mark (Marten's own rebuild of one leaves none either), so none is written.
/// Where the time goes (bench/README.md, P5): reading rows, deserialising their JSON (on the thread pool, batches in
/// parallel), applying (one thread, in log order), then serialising the documents (thread pool) while COPY writes them.
/// </summary>
public static class ReadModelRebuild
{
    public static async Task<RebuildReport> Run(IDocumentStore documentStore, CancellationToken ct = default)
    {
        var store = (DocumentStore)documentStore;
        var started = Stopwatch.GetTimestamp();
        // Stops the reader and the serialisers (and closes the reader's connection) when the rebuild fails or ends.
        using var background = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            return await Run(store, started, background, ct);
        }
        finally
        {
            await background.CancelAsync();
        }
    }

    private static async Task<RebuildReport> Run(DocumentStore store, long started, CancellationTokenSource background, CancellationToken ct)
    {
        var phases = new RebuildPhases();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var session = store.LightweightSession(SessionOptions.ForTransaction(tx));

        var rebuilders = store.Options.Projections.All.Select(p => ProjectionRebuilder.For(p, session)).ToList();
        var tables = new Dictionary<Type, DocumentTable>();
        var published = store.Options.Projections.All.SelectMany(p => p.PublishedTypes()).Distinct().ToList();
        foreach (var type in published)
            tables[type] = await DocumentTable.For(store.Storage.Database, type, conn, ct);

        await Execute(conn, $"lock table {History.EventLogSql.For(store.Options).Events} in share mode; truncate table {string.Join(", ", tables.Values.Select(t => t.QualifiedName))}", ct);
        // The secondary indexes of a table filled by COPY alone are dropped and built again after it, in this transaction:
        // one sorted build per index costs less than keeping each up to date row by row. A replayed projection's
        // tables keep theirs (its deletes look documents up by them).
        var copiedTables = rebuilders.Zip(store.Options.Projections.All).Where(p => p.First is not InlineReplay)
            .SelectMany(p => p.Second.PublishedTypes()).Select(t => tables[t]).Distinct().ToList();
        var indexes = await SecondaryIndexes(conn, copiedTables, ct);
        if (indexes.Count > 0) await Execute(conn, $"drop index {string.Join(", ", indexes.Select(i => i.Name))}", ct);
        phases["prepare"].Add(Stopwatch.GetTimestamp() - started);

        long events = 0;
        var routes = new Dictionary<Type, int[]>();
        var given = rebuilders.Select(_ => new List<IEvent>()).ToArray();
        var wait = phases["wait for events (applier)"];
        var applied = rebuilders.Select(r => phases[$"apply {r.Name} (applier)"]).ToArray();
        var t = Stopwatch.GetTimestamp();
        // A projection without event types (a plain IProjection) is given every event, so then every event is read.
        var handled = rebuilders.All(r => r.EventTypes.Count > 0) ? rebuilders.SelectMany(r => r.EventTypes).ToHashSet() : null;
        await foreach (var next in new EventReader(store, handled, phases).Start(background.Token).ReadAllAsync(ct))
        {
            var (batch, read) = await next;
            var t0 = Stopwatch.GetTimestamp();
            wait.Add(t0 - t);
            foreach (var e in batch)
            {
                if (!routes.TryGetValue(e.EventType, out var targets))
                    routes[e.EventType] = targets = Enumerable.Range(0, rebuilders.Count)
                        .Where(i => rebuilders[i].EventTypes.Count == 0 || rebuilders[i].EventTypes.Contains(e.EventType)).ToArray();
                foreach (var i in targets) given[i].Add(e);
            }

            for (var i = 0; i < rebuilders.Count; i++)
            {
                if (given[i].Count == 0) continue;
                var a = Stopwatch.GetTimestamp();
                await rebuilders[i].Apply(given[i], ct);
                applied[i].Add(Stopwatch.GetTimestamp() - a);
                given[i].Clear();
            }

            events += read;
            t = Stopwatch.GetTimestamp();
        }

        var serializer = store.Options.Serializer();
        var t1 = Stopwatch.GetTimestamp();
        var finished = new List<(ProjectionRebuilder Rebuilder, IProjectionSource<IDocumentOperations, IQuerySession> Source, List<(DocumentTable Table, ChannelReader<Task<object?[][]>> Rows)> Copies)>();
        foreach (var (rebuilder, source) in rebuilders.Zip(store.Options.Projections.All))
        {
            // A replayed projection writes through the session now, before any COPY takes the connection.
            var documents = await rebuilder.Finish(ct);
            finished.Add((rebuilder, source, documents.GroupBy(d => d.Document.GetType())
                .Select(g => (tables[g.Key], tables[g.Key].Serialise(g.ToList(), serializer, background.Token))).ToList()));
        }

        var t2 = Stopwatch.GetTimestamp();
        phases["finish projections"].Add(t2 - t1);
        var report = new List<ProjectionRebuilt>();
        foreach (var (rebuilder, source, copies) in finished)
        {
            var copied = new Dictionary<DocumentTable, long>();
            foreach (var (table, rows) in copies) copied[table] = await table.Copy(conn, rows, ct);
            // A table filled by COPY alone (it was emptied first) holds what was copied; a replayed one is counted.
            foreach (var type in source.PublishedTypes())
                report.Add(new ProjectionRebuilt(rebuilder.Name, rebuilder.Method, tables[type].QualifiedName,
                    copied.TryGetValue(tables[type], out var n) ? n : await Count(conn, tables[type], ct)));
        }

        var t3 = Stopwatch.GetTimestamp();
        phases["serialise + COPY documents, count"].Add(t3 - t2);
        foreach (var (_, definition) in indexes) await Execute(conn, definition, ct);
        phases["build secondary indexes"].Add(Stopwatch.GetTimestamp() - t3);
        t3 = Stopwatch.GetTimestamp();
        await tx.CommitAsync(ct);
        phases["commit"].Add(Stopwatch.GetTimestamp() - t3);
        return new RebuildReport(events, Stopwatch.GetElapsedTime(started), report, phases);
    }

    private static async Task Execute(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Indexes of the tables other than the primary key and those backing a constraint: their names and definitions.</summary>
    private static async Task<List<(string Name, string Definition)>> SecondaryIndexes(NpgsqlConnection conn, IEnumerable<DocumentTable> tables, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i " +
            "where i.indrelid = any(@tables::regclass[]) and not i.indisprimary " +
            "and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid) order by 1", conn);
        cmd.Parameters.AddWithValue("tables", tables.Select(t => t.QualifiedName).ToArray());
        var indexes = new List<(string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) indexes.Add((reader.GetString(0), reader.GetString(1)));
        return indexes;
    }

    private static async Task<long> Count(NpgsqlConnection conn, DocumentTable table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select count(*) from {table.QualifiedName}", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
