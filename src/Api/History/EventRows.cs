using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.EventStore;
using Conpaas.EventStore.History;
using Npgsql;
using NpgsqlTypes;

namespace Conpaas.Api.History;

/// <summary>An event as the API shows it, with who owns its stream (for authorization and routing).</summary>
public sealed record OwnedEvent(HistoryEvent Event, StreamKind? Kind, Guid? OwnerId, Guid? ApplicationId, Guid? ServiceId);

/// <summary>
/// Reading events from the log with their stream's owner; shared by history, the audit log and the live feed.
/// The statements (<see cref="EventLogSql"/>) select the owned-event columns.
/// </summary>
public static class EventRows
{
    public static async Task<List<OwnedEvent>> Read(NpgsqlConnection conn, string sql, CancellationToken ct,
        params (string Name, object? Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
            cmd.Parameters.Add(value switch
            {
                null => new NpgsqlParameter(name, DBNull.Value),
                string[] a => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = a },
                DateTimeOffset d => new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = d.UtcDateTime },
                _ => new NpgsqlParameter(name, value),
            });

        var rows = new List<OwnedEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var e = new HistoryEvent(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), EventCatalog.PublicName(reader.GetString(3)),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? "system" : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), Redact(reader.GetString(7)),
                reader.IsDBNull(12) ? null : reader.GetString(12));
            rows.Add(new OwnedEvent(e,
                reader.IsDBNull(8) ? null : Enum.Parse<StreamKind>(reader.GetString(8)),
                reader.IsDBNull(9) ? null : reader.GetGuid(9),
                reader.IsDBNull(10) ? null : reader.GetGuid(10),
                reader.IsDBNull(11) ? null : Guid.Parse(reader.GetString(11))));
        }

        return rows;
    }

    /// <summary>Hashes of passwords and tokens stay in the store; the history shows everything else as stored.</summary>
    private static JsonElement Redact(string json)
    {
        var node = JsonNode.Parse(json);
        if (node is JsonObject obj)
            foreach (var field in EventCatalog.SecretFields)
                obj.Remove(field);
        return JsonSerializer.SerializeToElement(node);
    }
}
