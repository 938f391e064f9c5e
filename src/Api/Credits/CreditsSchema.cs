using Conpaas.Api.GraphQL;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Api.Services;
using Conpaas.Domain;
using Conpaas.Domain.Credits;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Credits;
using GraphQL;
using GraphQL.Types;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Credits;

public sealed record CreditEntry(DateTimeOffset At, int Amount, int Balance, string Reason, Guid? VmId, string Actor, string Cursor);

/// <summary>grantCredit, creditLedger and User.creditRunsOutAt: the credit ledger is a projection of the user's stream (<see cref="CreditLedgerProjection"/>).</summary>
public sealed class CreditCommands(IQuerySession query, Caller caller, TimeProvider clock)
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

        var lines = await query.Query<CreditLedgerLine>()
            .Where(l => l.UserId == me.Id && l.Version > from).OrderBy(l => l.Version).Take(first).ToListAsync(ct);
        return lines.Select(l => new CreditEntry(l.At, l.Amount, l.Balance, l.Reason, l.VmId, l.Actor, l.Version.ToString())).ToList();
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
