using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.Projections;
using Conpaas.Projections.History;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Conpaas.Api.History;

public sealed record HistoryEvent(long Sequence, Guid StreamId, long Version, string Type, DateTimeOffset At, string Actor,
    string? CorrelationId, JsonElement Data);

public sealed record HistoryPage(IReadOnlyList<HistoryEvent> Events, string? NextCursor);

public sealed record AuditFilter(string? Username, Guid? ApplicationId, IReadOnlyList<string>? Types, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>
/// The audit history, read straight from the event log: one stream (history) or all the streams the caller may
/// see (auditLog). Ownership comes from <see cref="StreamOwner"/>, which outlives deleted applications and removed services.
/// </summary>
public sealed class HistoryQueries(IDocumentStore store, IQuerySession session, Caller caller, IOptions<DirectorOptions> options)
{
    public const int MaxPageSize = 1000;
    private const string Columns = "e.seq_id, e.stream_id, e.version, e.type, e.timestamp, e.user_name, e.correlation_id, e.data::text";

    public async Task<HistoryPage> Stream(Guid streamId, int first, string? after, CancellationToken ct)
    {
        caller.RequireUser();
        CheckPageSize(first);
        var from = Cursor.Read(after, 'v');
        var owner = await session.LoadAsync<StreamOwner>(streamId, ct);
        if (owner is null || !caller.MaySee(owner.OwnerId)) throw DomainError.NotFound($"Nothing found with id {streamId}").ToException();

        var sql = $"select {Columns} from {Schema}.mt_events e where e.stream_id = @stream and e.version > @after order by e.version limit @limit";
        var rows = await Read(sql, ct, ("stream", streamId), ("after", from), ("limit", first + 1));
        return Page(rows, first, e => Cursor.Write('v', e.Version));
    }

    public async Task<HistoryPage> Audit(AuditFilter? filter, int first, string? after, CancellationToken ct)
    {
        var me = caller.RequireUser();
        CheckPageSize(first);
        var from = Cursor.Read(after, 's');
        Guid? byUser = null;
        if (filter?.Username is { } username)
        {
            var user = await session.Query<User>().FirstOrDefaultAsync(u => u.UsernameKey == Text.Key(username), ct);
            if (user is null) return new HistoryPage([], null);
            byUser = user.Id;
        }

        var types = filter?.Types?.Select(EventCatalog.StoredName).ToArray();
        var sql = $"""
            select {Columns} from {Schema}.mt_events e join {Schema}.mt_doc_streamowner o on o.id = e.stream_id
            where (@visible::uuid is null or o.owner_id = @visible)
              and (@owner::uuid is null or o.owner_id = @owner)
              and (@application::uuid is null or o.application_id = @application)
              and (@types::text[] is null or e.type = any(@types))
              and (@from::timestamptz is null or e.timestamp >= @from)
              and (@to::timestamptz is null or e.timestamp <= @to)
              and e.seq_id > @after
            order by e.seq_id limit @limit
            """;
        var rows = await Read(sql, ct,
            ("visible", me.IsAdmin ? null : me.Id), ("owner", byUser), ("application", filter?.ApplicationId), ("types", types),
            ("from", filter?.From), ("to", filter?.To), ("after", from), ("limit", first + 1));
        return Page(rows, first, e => Cursor.Write('s', e.Sequence));
    }

    private string Schema => options.Value.Schema;

    private static void CheckPageSize(int first)
    {
        if (first is < 1 or > MaxPageSize)
            throw DomainError.Invalid("first", $"'first' must be between 1 and {MaxPageSize}, not {first}").ToException();
    }

    private static HistoryPage Page(List<HistoryEvent> rows, int first, Func<HistoryEvent, string> cursor) =>
        rows.Count > first ? new HistoryPage(rows.Take(first).ToList(), cursor(rows[first - 1])) : new HistoryPage(rows, null);

    private async Task<List<HistoryEvent>> Read(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
            cmd.Parameters.Add(value switch
            {
                null => new NpgsqlParameter(name, DBNull.Value),
                string[] a => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = a },
                DateTimeOffset d => new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = d.UtcDateTime },
                _ => new NpgsqlParameter(name, value),
            });

        var rows = new List<HistoryEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new HistoryEvent(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), EventCatalog.PublicName(reader.GetString(3)),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? "system" : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), Redact(reader.GetString(7))));
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

    /// <summary>Opaque page cursors: a kind letter and a position.</summary>
    private static class Cursor
    {
        public static string Write(char kind, long position) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{kind}:{position}")).TrimEnd('=');

        public static long Read(string? cursor, char kind)
        {
            if (cursor is null) return 0;
            try
            {
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor.PadRight(cursor.Length + (4 - cursor.Length % 4) % 4, '=')));
                if (text.Length > 2 && text[0] == kind && text[1] == ':' && long.TryParse(text[2..], out var position) && position >= 0)
                    return position;
            }
            catch (FormatException)
            {
            }

            throw DomainError.Invalid("after", $"'{cursor}' is not a cursor of this list").ToException();
        }
    }
}
