using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten.Events.Projections;

namespace Conpaas.EventStore.Credits;

/// <summary>
/// One line of a user's credit ledger: the registration's initial credit, a grant, or an hourly charge, with the
/// balance after it. <see cref="Version"/> is the event's version in the user's stream: the ledger's order and its cursor.
/// </summary>
public sealed class CreditLedgerLine
{
    /// <summary>The event's id.</summary>
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public long Version { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>Positive for grants, negative for charges.</summary>
    public int Amount { get; set; }
    public int Balance { get; set; }
    public string Reason { get; set; } = "";
    public Guid? VmId { get; set; }
    public string Actor { get; set; } = "";
}

// A ledger line is written once, when its event is appended, and never changed: a rebuild can COPY them all.
[Rebuild.InsertOnlyProjection]
public sealed partial class CreditLedgerProjection : EventProjection
{
    public const string System = "system";

    public CreditLedgerLine Create(IEvent<UserRegistered> e) =>
        Line(e, e.Data.Credit, e.Data.Credit, "initial credit", null, e.UserName ?? System);

    public CreditLedgerLine Create(IEvent<CreditGranted> e) =>
        Line(e, e.Data.Applied, e.Data.Balance, e.Data.Reason, null, e.Data.Actor);

    public CreditLedgerLine Create(IEvent<CreditCharged> e) =>
        Line(e, -e.Data.Amount, e.Data.Balance,
            $"hour {e.Data.Hour} of VM {e.Data.VmName}" + (e.Data.Amount == 0 ? " (not covered: no credit left)" : ""),
            e.Data.VmId, e.UserName ?? System);

    private static CreditLedgerLine Line(IEvent e, int amount, int balance, string reason, Guid? vmId, string actor) =>
        new()
        {
            // The event's time as the log keeps it (PostgreSQL stores microseconds), so a rebuilt line equals the first.
            Id = e.Id, UserId = e.StreamId, Version = e.Version, At = e.Timestamp.AddTicks(-(e.Timestamp.Ticks % 10)), Amount = amount, Balance = balance,
            Reason = reason, VmId = vmId, Actor = actor,
        };
}
