using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Conpaas.Bench;

/// <summary>The raw Npgsql baselines, measured in the same run on the same server as the Director's figures.</summary>
public static class Raw
{
    /// <summary>A table shaped like Marten's mt_events: the same columns, primary key and (stream_id, version) unique index.</summary>
    public const string EventTable = """
        drop table if exists bench_events;
        create table bench_events (
            seq_id bigserial primary key,
            id uuid not null,
            stream_id uuid,
            version bigint not null,
            data jsonb not null,
            type varchar(500) not null,
            timestamp timestamptz not null default now(),
            tenant_id varchar default '*DEFAULT*',
            mt_dotnet_type varchar,
            correlation_id varchar,
            causation_id varchar,
            headers jsonb,
            user_name varchar,
            is_archived bool default false);
        create unique index bench_events_stream_version on bench_events (stream_id, version);
        """;

    private const string Insert = """
        insert into bench_events (id, stream_id, version, data, type, mt_dotnet_type, correlation_id, user_name)
        values ($1, $2, 1, $3, 'application_created', 'Conpaas.Domain.Applications.ApplicationCreated, Conpaas.Domain', $4, 'bench')
        """;

    /// <summary>About the size of an ApplicationCreated event as Marten stores it.</summary>
    private static string Payload(Guid id) =>
        $$"""{"name": "bench-app-{{id:N}}", "network": "172.16.0.0/12", "ownerId": "{{Guid.NewGuid()}}", "createdAt": "{{DateTimeOffset.UtcNow:O}}", "applicationId": "{{id}}"}""";

    public static async Task Prepare(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(EventTable, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Rows per second with <paramref name="connections"/> connections each committing <paramref name="rowsPerTx"/> rows per transaction.</summary>
    /// <param name="notify">Each transaction also sends pg_notify, as every event-appending Director transaction does.</param>
    public static async Task<double> InsertRate(string cs, int connections, int rowsPerTx, double warmup, double seconds, bool notify = false)
    {
        await Prepare(cs);
        var counts = new long[connections];
        long measureFrom = 0, measureTo = 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, connections).Select(async i =>
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            await go.Task;
            if (rowsPerTx == 1 && notify)
            {
                while (Stopwatch.GetTimestamp() < measureTo)
                {
                    var id = Guid.NewGuid();
                    // One implicit transaction: the insert and the NOTIFY that PostgreSQL delivers at its commit.
                    await using var batch = new NpgsqlBatch(conn)
                    {
                        BatchCommands =
                        {
                            new NpgsqlBatchCommand(Insert)
                            {
                                Parameters =
                                {
                                    new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid },
                                    new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid },
                                    new NpgsqlParameter { Value = Payload(id), NpgsqlDbType = NpgsqlDbType.Jsonb },
                                    new NpgsqlParameter { Value = "bench", NpgsqlDbType = NpgsqlDbType.Varchar },
                                },
                            },
                            new NpgsqlBatchCommand("select pg_notify('bench_events', '')"),
                        },
                    };
                    await batch.ExecuteNonQueryAsync();
                    if (Stopwatch.GetTimestamp() is var done && done >= measureFrom && done < measureTo) counts[i]++;
                }
            }
            else if (rowsPerTx == 1)
            {
                await using var cmd = new NpgsqlCommand(Insert, conn);
                cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
                cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
                cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb });
                cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar });
                await cmd.PrepareAsync();
                while (true)
                {
                    var now = Stopwatch.GetTimestamp();
                    if (now >= measureTo) break;
                    var id = Guid.NewGuid();
                    cmd.Parameters[0].Value = id;
                    cmd.Parameters[1].Value = id;
                    cmd.Parameters[2].Value = Payload(id);
                    cmd.Parameters[3].Value = "bench";
                    await cmd.ExecuteNonQueryAsync();
                    if (Stopwatch.GetTimestamp() is var done && done >= measureFrom && done < measureTo) counts[i]++;
                }
            }
            else
            {
                while (Stopwatch.GetTimestamp() < measureTo)
                {
                    await using var batch = new NpgsqlBatch(conn);
                    for (var r = 0; r < rowsPerTx; r++)
                    {
                        var id = Guid.NewGuid();
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(Insert)
                        {
                            Parameters =
                            {
                                new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid },
                                new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid },
                                new NpgsqlParameter { Value = Payload(id), NpgsqlDbType = NpgsqlDbType.Jsonb },
                                new NpgsqlParameter { Value = "bench", NpgsqlDbType = NpgsqlDbType.Varchar },
                            },
                        });
                    }

                    // One round trip; the statements before the Sync run as one implicit transaction.
                    await batch.ExecuteNonQueryAsync();
                    if (Stopwatch.GetTimestamp() is var done && done >= measureFrom && done < measureTo) counts[i] += rowsPerTx;
                }
            }
        }).ToList();

        var start = Stopwatch.GetTimestamp();
        measureFrom = start + (long)(warmup * Stopwatch.Frequency);
        measureTo = measureFrom + (long)(seconds * Stopwatch.Frequency);
        go.SetResult();
        await Task.WhenAll(workers);
        return counts.Sum() / seconds;
    }

    /// <summary>PostgreSQL NOTIFY round trips: LISTEN on one connection, NOTIFY (autocommit) from another; ms per sample.</summary>
    public static async Task<List<double>> NotifyRoundTrips(string cs, int samples)
    {
        await using var listener = new NpgsqlConnection(cs);
        await using var sender = new NpgsqlConnection(cs);
        await listener.OpenAsync();
        await sender.OpenAsync();
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, _) => received.TrySetResult(Stopwatch.GetTimestamp());
        await using (var listen = new NpgsqlCommand("listen bench_channel", listener)) await listen.ExecuteNonQueryAsync();
        await using var notify = new NpgsqlCommand("notify bench_channel, 'x'", sender);

        var result = new List<double>(samples);
        for (var i = 0; i < samples + 5; i++)
        {
            received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var wait = listener.WaitAsync(stop.Token);
            var t0 = Stopwatch.GetTimestamp();
            await notify.ExecuteNonQueryAsync();
            await wait;
            var t1 = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
            if (i >= 5) result.Add(Stats.Ms(t0, t1)); // the first few warm up both connections
        }

        return result;
    }
}
