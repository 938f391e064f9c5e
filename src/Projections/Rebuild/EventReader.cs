using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace Conpaas.Projections.Rebuild;

/// <summary>
/// Reads the whole event log once, in sequence order, and turns each row into the <see cref="IEvent"/> Marten would
/// have built: the store's own serializer and type aliases, every metadata column the store keeps. Runs on its own
/// connection and thread, handing batches to the applier, so reading and deserialising overlap with applying.
/// </summary>
internal sealed class EventReader(DocumentStore store)
{
    private const int BatchSize = 1000;

    private readonly ISerializer _serializer = store.Options.Serializer();

    private readonly Dictionary<string, IEventType> _byAlias =
        ((Marten.Events.EventGraph)store.Options.Events).AllKnownEventTypes().ToDictionary(t => t.EventTypeName);

    public ChannelReader<IEvent[]> Start(CancellationToken ct)
    {
        // A few batches ahead is enough to keep both sides busy; more would only hold memory.
        var channel = Channel.CreateBounded<IEvent[]>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
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
        }, ct);
        return channel.Reader;
    }

    private async Task ReadAll(ChannelWriter<IEvent[]> output, CancellationToken ct)
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

        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        // Archived events are left out, as Marten's own rebuild leaves them out.
        await using var cmd = new NpgsqlCommand(
            $"select {string.Join(", ", columns)} from {store.Options.Events.DatabaseSchemaName}.mt_events where is_archived = false order by seq_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var batch = new List<IEvent>(BatchSize);
        while (await reader.ReadAsync(ct))
        {
            var sequence = reader.GetInt64(0);
            var id = reader.GetGuid(1);
            var streamId = reader.GetGuid(2);
            var version = reader.GetInt64(3);
            var alias = reader.GetString(4);
            if (!_byAlias.TryGetValue(alias, out var type))
                throw new InvalidOperationException($"Event {sequence} has the type '{alias}', which this Director does not know: it cannot be projected.");
            // Sequential access reads columns in order: the type is selected before the data it decides.
            var e = type.Wrap(_serializer.FromJson(type.EventType, reader, 5));
            e.Sequence = sequence;
            e.Id = id;
            e.StreamId = streamId;
            e.Version = version;
            e.Timestamp = reader.GetFieldValue<DateTimeOffset>(6);
            e.TenantId = reader.GetString(7);
            if (correlation >= 0 && !reader.IsDBNull(correlation)) e.CorrelationId = reader.GetString(correlation);
            if (causation >= 0 && !reader.IsDBNull(causation)) e.CausationId = reader.GetString(causation);
            if (userName >= 0 && !reader.IsDBNull(userName)) e.UserName = reader.GetString(userName);
            if (headers >= 0 && !reader.IsDBNull(headers))
                e.Headers = _serializer.FromJson<Dictionary<string, object>?>(reader, headers);
            batch.Add(e);
            if (batch.Count == BatchSize)
            {
                await output.WriteAsync(batch.ToArray(), ct);
                batch.Clear();
            }
        }

        if (batch.Count > 0) await output.WriteAsync(batch.ToArray(), ct);
    }
}
