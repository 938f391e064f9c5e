using System.Text.Json;
using System.Text;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.History;
using Marten;

namespace Conpaas.Api.History;

public sealed record HistoryEvent(long Sequence, Guid StreamId, long Version, string Type, DateTimeOffset At, string Actor,
    string? CorrelationId, JsonElement Data, string? ManifestDigest = null);

public sealed record HistoryPage(IReadOnlyList<HistoryEvent> Events, string? NextCursor);

public sealed record AuditFilter(string? Username, Guid? ApplicationId, IReadOnlyList<string>? Types, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>
/// The audit history, read straight from the event log: one stream (history) or all the streams the caller may
/// see (auditLog). Ownership comes from <see cref="StreamOwner"/>, which outlives deleted applications and removed services.
/// </summary>
public sealed class HistoryQueries(IDocumentStore store, IQuerySession session, Caller caller)
{
    public const int MaxPageSize = 1000;

    public async Task<HistoryPage> Stream(Guid streamId, int first, string? after, CancellationToken ct)
    {
        caller.RequireUser();
        CheckPageSize(first);
        var from = Cursor.Read(after, 'v');
        var owner = await session.LoadAsync<StreamOwner>(streamId, ct);
        if (owner is null || !caller.MaySee(owner.OwnerId)) throw DomainError.NotFound($"Nothing found with id {streamId}").ToException();

        var rows = await Read(Sql.StreamHistory, ct, ("stream", streamId), ("after", from), ("limit", first + 1));
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
        var rows = await Read(Sql.AuditLog, ct,
            ("visible", me.IsAdmin ? null : me.Id), ("owner", byUser), ("application", filter?.ApplicationId), ("types", (object?)types),
            ("from", filter?.From), ("to", filter?.To), ("after", from), ("limit", first + 1));
        return Page(rows, first, e => Cursor.Write('s', e.Sequence));
    }

    /// <summary>The catch-up part of the events subscription: what the caller may see in (after, upTo].</summary>
    public async Task<List<HistoryEvent>> Range(Guid? streamId, long after, long upTo, int limit, CancellationToken ct)
    {
        var me = caller.RequireUser();
        return await Read(Sql.OwnedRange, ct, ("visible", me.IsAdmin ? null : me.Id), ("stream", streamId), ("after", after), ("upTo", upTo), ("limit", limit));
    }

    private EventLogSql Sql => EventLogSql.For(store.Options);

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
        return (await EventRows.Read(conn, sql, ct, parameters)).Select(r => r.Event).ToList();
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

            throw DomainError.Invalid("after", $"'{Text.Quote(cursor)}' is not a cursor of this list").ToException();
        }
    }
}
