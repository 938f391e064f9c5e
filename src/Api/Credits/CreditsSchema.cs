using System.Text.Json;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Api.Services;
using Conpaas.Domain;
using Conpaas.Domain.Credits;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore;
using GraphQL;
using GraphQL.Types;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Conpaas.Api.Credits;

public sealed record CreditEntry(DateTimeOffset At, int Amount, int Balance, string Reason, Guid? VmId, string Actor, string Cursor);

/// <summary>grantCredit, creditLedger and User.creditRunsOutAt: the credit ledger read from the user's stream.</summary>
public sealed class CreditCommands(IDocumentStore store, IQuerySession query, Caller caller, IOptions<DirectorOptions> options, TimeProvider clock)
{
    public const int MaxPageSize = 1000;

    /// <summary>The caller's grants and charges, oldest first, each with the balance after it.</summary>
    public async Task<IReadOnlyList<CreditEntry>> Ledger(int first, string? after, CancellationToken ct)
    {
        var me = caller.RequireUser();
        if (first is < 1 or > MaxPageSize)
            throw DomainError.Invalid("first", $"'first' must be between 1 and {MaxPageSize}, not {first}").ToException();
        long from = 0;
        if (after is not null && !long.TryParse(after, out from))
            throw DomainError.Invalid("after", $"'{Text.Quote(after)}' is not a cursor of the credit ledger").ToException();

        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            select version, type, timestamp, coalesce(user_name, 'system'), data::text from {options.Value.Schema}.mt_events
            where stream_id = @user and version > @after and type = any(@types) order by version limit @limit
            """, conn);
        cmd.Parameters.AddWithValue("user", me.Id);
        cmd.Parameters.AddWithValue("after", from);
        cmd.Parameters.AddWithValue("types", new[] { "user_registered", "credit_granted", "credit_charged" });
        cmd.Parameters.AddWithValue("limit", first);
        var entries = new List<CreditEntry>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var version = reader.GetInt64(0);
            var at = reader.GetFieldValue<DateTimeOffset>(2);
            var actor = reader.GetString(3);
            using var data = JsonDocument.Parse(reader.GetString(4));
            var d = data.RootElement;
            entries.Add(EventCatalog.PublicName(reader.GetString(1)) switch
            {
                nameof(UserRegistered) => new CreditEntry(at, d.GetProperty("credit").GetInt32(), d.GetProperty("credit").GetInt32(),
                    "initial credit", null, actor, version.ToString()),
                nameof(CreditGranted) => new CreditEntry(at, d.GetProperty("applied").GetInt32(), d.GetProperty("balance").GetInt32(),
                    d.GetProperty("reason").GetString()!, null, d.GetProperty("actor").GetString()!, version.ToString()),
                _ => new CreditEntry(at, -d.GetProperty("amount").GetInt32(), d.GetProperty("balance").GetInt32(),
                    $"hour {d.GetProperty("hour").GetInt32()} of VM {d.GetProperty("vmName").GetString()}"
                    + (d.GetProperty("amount").GetInt32() == 0 ? " (not covered: no credit left)" : ""),
                    d.GetProperty("vmId").GetGuid(), actor, version.ToString()),
            });
        }

        return entries;
    }

    public async Task<DateTimeOffset?> RunsOutAt(User user, CancellationToken ct)
    {
        var running = await query.Query<Vm>()
            .Where(v => v.OwnerId == user.Id && !v.Released && v.CreatedAtCloud != null && v.State != VmState.LOST && v.State != VmState.TERMINATED)
            .ToListAsync(ct);
        return Charging.RunsOutAt(user.Credit, running, clock.GetUtcNow());
    }
}

public sealed class CreditEntryType : ObjectGraphType<CreditEntry>
{
    public CreditEntryType()
    {
        Name = "CreditEntry";
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.At);
        Field<NonNullGraphType<IntGraphType>>("amount").Description("Positive for grants, negative for charges.").Resolve(c => c.Source.Amount);
        Field<NonNullGraphType<IntGraphType>>("balance").Resolve(c => c.Source.Balance);
        Field<NonNullGraphType<StringGraphType>>("reason").Resolve(c => c.Source.Reason);
        Field<VmGraphType>("vm").ResolveAsync(async c => c.Source.VmId is { } id
            ? await c.Get<IQuerySession>().LoadAsync<Vm>(id, c.CancellationToken)
            : null);
        Field<NonNullGraphType<StringGraphType>>("actor").Resolve(c => c.Source.Actor);
        Field<NonNullGraphType<StringGraphType>>("cursor").Description("Pass as creditLedger(after:) to read on from this entry.")
            .Resolve(c => c.Source.Cursor);
    }
}

public static class CreditsSchema
{
    public static void AddCreditQueries(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<CreditEntryType>>>>("creditLedger")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c => await c.Get<CreditCommands>().Ledger(c.GetArgument("first", 50), c.GetArgument<string?>("after"), c.CancellationToken));

    public static void AddCreditMutations(this ObjectGraphType mutation) =>
        mutation.Field<NonNullGraphType<UserType>>("grantCredit")
            .Description("Administrators only; a negative amount takes credit away (never below 0).")
            .Argument<NonNullGraphType<StringGraphType>>("username")
            .Argument<NonNullGraphType<IntGraphType>>("amount")
            .Argument<NonNullGraphType<StringGraphType>>("reason")
            .ResolveAsync(async c =>
            {
                c.Get<Caller>().RequireAdmin();
                var username = c.GetArgument<string>("username");
                var user = await c.Get<IQuerySession>().Query<User>().FirstOrDefaultAsync(u => u.UsernameKey == Text.Key(username), c.CancellationToken)
                           ?? throw DomainError.NotFound($"Unknown user '{Text.Quote(username)}'").ToException();
                return await c.Invoke<User>(by => new GrantCredit(user.Id, c.GetArgument<int>("amount"), c.GetArgument<string>("reason"), by));
            });
}
