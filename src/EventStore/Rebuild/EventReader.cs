using System.Diagnostics;
using System.Threading.Channels;
using JasperFx.Events;
using System.Text.Json;
using Marten;
using Marten.Services;
using Npgsql;

namespace Conpaas.EventStore.Rebuild;

/// <summary>
/// Reads the whole event log once, in sequence order, and turns each row into the <see cref="IEvent"/> Marten would
/// have built: the store's own serializer and type aliases, every metadata column the store keeps. One thread reads
/// rows on its own connection; their JSON is deserialised a batch at a time on the thread pool, several batches at
/// once, and the batches are handed to the applier in log order. The JSON of an event no projection handles is not
/// deserialised at all.
/// </summary>
internal sealed class EventReader(DocumentStore store, IReadOnlySet<Type>? handled, RebuildPhases phases)
{
    private const int BatchSize = 1000;

    private readonly ISerializer _serializer = store.Options.Serializer();

    /// <summary>
    /// The store's own System.Text.Json options when its serializer is Marten's plain one (not wrapped for upcasting or
    /// encryption): JSON is then read straight from the row's bytes, without the stream Marten's serializer would read it through.
    /// </summary>
    private readonly JsonSerializerOptions? _json = JsonOptions(store.Options.Serializer());

    private static JsonSerializerOptions? JsonOptions(ISerializer serializer)
    {
        if (serializer.GetType() != typeof(SystemTextJsonSerializer)) return null;
        JsonSerializerOptions? options = null;
        // Configure hands over the options it serializes with; nothing is changed.
        ((SystemTextJsonSerializer)serializer).Configure(o => options = o);
        return options;
    }

    private object FromJson(Type type, byte[] json) =>
        _json is { } options ? JsonSerializer.Deserialize(json, type, options)! : _serializer.FromJson(type, new MemoryStream(json, false));

    private readonly Dictionary<string, IEventType> _byAlias =
        ((Marten.Events.EventGraph)store.Options.Events).AllKnownEventTypes().ToDictionary(t => t.EventTypeName);

    /// <summary>One row as read, its JSON still bytes (null when no projection handles its type).</summary>
    private struct Row
    {
        public long Sequence, Version;
        public Guid Id, StreamId;
        public IEventType Type;
        public byte[]? Data, Headers;
        public DateTimeOffset Timestamp;
        public string TenantId;
        public string? CorrelationId, CausationId, UserName;
    }

    /// <summary>Batches of events in log order; an event no projection handles is left out (but counted).</summary>
    public ChannelReader<Task<(IEvent[] Events, int Read)>> Start(CancellationToken ct)
    {
        // A few batches ahead keep every thread busy; more would only hold memory.
        var channel = Channel.CreateBounded<Task<(IEvent[], int)>>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        _ = Task.Factory.StartNew(async () =>
        {
            try
            {
                await ReadAll(channel.Writer, ct);
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return channel.Reader;
    }

    private async Task ReadAll(ChannelWriter<Task<(IEvent[], int)>> output, CancellationToken ct)
    {
        var metadata = ((Marten.Events.EventGraph)store.Options.Events).MetadataConfig;
        var columns = new List<string> { "seq_id", "id", "stream_id", "version", "type", "data", "timestamp", "tenant_id" };
        var correlation = metadata.CorrelationIdEnabled ? Add("correlation_id") : -1;
        var causation = metadata.CausationIdEnabled ? Add("causation_id") : -1;
        var userName = metadata.UserNameEnabled ? Add("user_name") : -1;
        var headers = metadata.HeadersEnabled ? Add("headers") : -1;

        int Add(string column)
        {
            columns.Add(column);
            return columns.Count - 1;
        }

        var read = phases["read rows (reader thread)"];
        var handOver = phases["wait for the applier (reader thread)"];
        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        // Archived events are left out, as Marten's own rebuild leaves them out.
        await using var cmd = new NpgsqlCommand(
            $"select {string.Join(", ", columns)} from {History.EventLogSql.For(store.Options).Events} where is_archived = false order by seq_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var batch = new Row[BatchSize];
        var count = 0;
        var t = Stopwatch.GetTimestamp();
        while (await reader.ReadAsync(ct))
        {
            ref var row = ref batch[count++];
            row.Sequence = reader.GetInt64(0);
            var alias = reader.GetString(4);
            if (!_byAlias.TryGetValue(alias, out var type))
                throw new InvalidOperationException($"Event {row.Sequence} has the type '{alias}', which this Director does not know: it cannot be projected.");
            row.Type = type;
            if (handled is not null && !handled.Contains(type.EventType))
            {
                row.Data = null;
                goto next;
            }

            row.Id = reader.GetGuid(1);
            row.StreamId = reader.GetGuid(2);
            row.Version = reader.GetInt64(3);
            row.Data = reader.GetFieldValue<byte[]>(5);
            row.Timestamp = reader.GetFieldValue<DateTimeOffset>(6);
            row.TenantId = reader.GetString(7);
            row.CorrelationId = correlation >= 0 && !reader.IsDBNull(correlation) ? reader.GetString(correlation) : null;
            row.CausationId = causation >= 0 && !reader.IsDBNull(causation) ? reader.GetString(causation) : null;
            row.UserName = userName >= 0 && !reader.IsDBNull(userName) ? reader.GetString(userName) : null;
            row.Headers = headers >= 0 && !reader.IsDBNull(headers) ? reader.GetFieldValue<byte[]>(headers) : null;

            next:
            if (count == BatchSize)
            {
                var t1 = Stopwatch.GetTimestamp();
                read.Add(t1 - t);
                await output.WriteAsync(Deserialise(batch, count), ct);
                batch = new Row[BatchSize];
                count = 0;
                t = Stopwatch.GetTimestamp();
                handOver.Add(t - t1);
            }
        }

        read.Add(Stopwatch.GetTimestamp() - t);
        if (count > 0) await output.WriteAsync(Deserialise(batch, count), ct);
    }

    private Task<(IEvent[], int)> Deserialise(Row[] rows, int count) => Task.Run(() =>
    {
        var t = Stopwatch.GetTimestamp();
        var events = new List<IEvent>(count);
        for (var i = 0; i < count; i++)
        {
            ref var row = ref rows[i];
            if (row.Data is null) continue;
            var e = row.Type.Wrap(FromJson(row.Type.EventType, row.Data));
            e.Sequence = row.Sequence;
            e.Id = row.Id;
            e.StreamId = row.StreamId;
            e.Version = row.Version;
            e.Timestamp = row.Timestamp;
            e.TenantId = row.TenantId;
            if (row.CorrelationId is not null) e.CorrelationId = row.CorrelationId;
            if (row.CausationId is not null) e.CausationId = row.CausationId;
            if (row.UserName is not null) e.UserName = row.UserName;
            if (row.Headers is not null) e.Headers = (Dictionary<string, object>?)FromJson(typeof(Dictionary<string, object>), row.Headers);
            events.Add(e);
        }

        phases["deserialise events (thread pool)"].AddShared(Stopwatch.GetTimestamp() - t);
        return (events.ToArray(), count);
    });
}
