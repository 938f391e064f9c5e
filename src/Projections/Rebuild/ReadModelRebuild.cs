using System.Diagnostics;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace Conpaas.Projections.Rebuild;

/// <summary>What a rebuild did: events read, time taken, and per projection how it was rebuilt and its document count.</summary>
public sealed record RebuildReport(long Events, TimeSpan Elapsed, IReadOnlyList<ProjectionRebuilt> Projections)
{
    public override string ToString() =>
        $"{Events:N0} events read once in {Elapsed.TotalSeconds:0.00} s ({(Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0):N0} events/s)" +
        string.Concat(Projections.Select(p => $"\n  {p.Name}: {p.Documents:N0} documents in {p.Table} ({p.Method})"));
}

public sealed record ProjectionRebuilt(string Name, string Method, string Table, long Documents);

/// <summary>
/// Rebuilds every read model the store projects in one pass over the event log, in one transaction: the projected
/// tables are emptied, the log is read once in sequence order, every projection is applied (aggregates in memory),
/// and the documents are written with COPY. Readers see the old read models until the commit, the new ones after it;
/// appends wait for the rebuild (the log is locked against writes, not reads), so nothing is missed or doubled.
/// Inline projections keep no progress mark (Marten's own rebuild of one leaves none either), so none is written.
/// </summary>
public static class ReadModelRebuild
{
    public static async Task<RebuildReport> Run(IDocumentStore documentStore, CancellationToken ct = default)
    {
        var store = (DocumentStore)documentStore;
        var started = Stopwatch.GetTimestamp();
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

        var schema = store.Options.Events.DatabaseSchemaName;
        await Execute(conn, $"lock table {schema}.mt_events in share mode; truncate table {string.Join(", ", tables.Values.Select(t => t.QualifiedName))}", ct);

        long events = 0;
        var routes = new Dictionary<Type, ProjectionRebuilder[]>();
        await foreach (var batch in new EventReader(store).Start(ct).ReadAllAsync(ct))
        {
            foreach (var e in batch)
            {
                if (!routes.TryGetValue(e.EventType, out var targets))
                    routes[e.EventType] = targets = rebuilders.Where(r => r.EventTypes.Count == 0 || r.EventTypes.Contains(e.EventType)).ToArray();
                foreach (var target in targets) await target.Apply(e, ct);
            }

            events += batch.Length;
        }

        var serializer = store.Options.Serializer();
        var report = new List<ProjectionRebuilt>();
        foreach (var (rebuilder, source) in rebuilders.Zip(store.Options.Projections.All))
        {
            var documents = await rebuilder.Finish(ct);
            foreach (var group in documents.GroupBy(d => d.Document.GetType()))
                await tables[group.Key].Copy(conn, group, serializer, ct);
            foreach (var type in source.PublishedTypes())
                report.Add(new ProjectionRebuilt(rebuilder.Name, rebuilder.Method, tables[type].QualifiedName, await Count(conn, tables[type], ct)));
        }

        await tx.CommitAsync(ct);
        return new RebuildReport(events, Stopwatch.GetElapsedTime(started), report);
    }

    private static async Task Execute(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> Count(NpgsqlConnection conn, DocumentTable table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select count(*) from {table.QualifiedName}", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
