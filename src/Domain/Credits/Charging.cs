using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Credits;

/// <summary>
/// 1 credit = 1 VM-hour (architecture §5): a VM (managers included) costs 1 credit when its cloud creates it and
/// 1 more at each full hour it keeps running. A charge the balance cannot cover takes it to 0, never below.
/// </summary>
public static class Charging
{
    public const string ExhaustedReason = "credit exhausted: the owner's credit reached 0";

    /// <summary>How many hours of this VM are due at <paramref name="now"/>: hour 0 at creation, hour k after k full hours.</summary>
    public static int DueHours(Vm vm, DateTimeOffset now) => DueHours(vm.CreatedAtCloud, vm.EndedAt, now);

    /// <summary>The same, from the VM's creation at its cloud and its end (if it ended).</summary>
    public static int DueHours(DateTimeOffset? createdAtCloud, DateTimeOffset? endedAt, DateTimeOffset now)
    {
        if (createdAtCloud is not { } start) return 0;
        var end = endedAt is { } ended && ended < now ? ended : now;
        return end <= start ? 1 : 1 + (int)Math.Floor((end - start).TotalHours);
    }

    /// <summary>Charges every due and not yet charged hour of the VM to its owner (the user's stream is the target).</summary>
    public static Decision Charge(User owner, Vm vm, DateTimeOffset now)
    {
        var balance = owner.Credit;
        var userEvents = new List<object>();
        var vmEvents = new List<StreamEvent>();
        for (var hour = vm.ChargedHours; hour < DueHours(vm, now); hour++)
        {
            var amount = Math.Min(1, Math.Max(0, balance));
            balance -= amount;
            userEvents.Add(new CreditCharged(vm.Id, hour, amount, vm.Name, balance));
            vmEvents.Add(new StreamEvent(vm.Id, new VmCharged(hour, amount)));
        }

        if (userEvents.Count > 0 && balance == 0 && owner.Credit > 0) userEvents.Add(new CreditExhausted(ExhaustedReason));
        return Decision.Accept(userEvents, vmEvents);
    }

    /// <summary>grantCredit: an administrator adds credit, or takes it away (a negative amount), never below 0.</summary>
    public static Decision Grant(User user, int amount, string? reason, string actor)
    {
        if (amount == 0) return DomainError.Invalid("amount", "The amount must not be 0");
        if (Text.CheckName("reason", reason) is { } badReason) return badReason;
        var balance = (int)Math.Clamp((long)user.Credit + amount, 0, int.MaxValue);
        var events = new List<object> { new CreditGranted(amount, balance - user.Credit, reason!.Trim(), actor, balance) };
        return Decision.Accept(events.ToArray());
    }

    /// <summary>
    /// When the balance runs out if the running VMs keep running: each charges one credit at every full hour
    /// of its life. Null when nothing runs.
    /// </summary>
    public static DateTimeOffset? RunsOutAt(int balance, IReadOnlyCollection<Vm> running, DateTimeOffset now)
    {
        var clocks = running.Where(v => v.CreatedAtCloud is not null).ToList();
        if (clocks.Count == 0) return null;
        if (balance <= 0) return now;

        // Whole rounds of one charge per VM, then the VMs' next charge times in order for the remainder.
        var rounds = (balance - 1) / clocks.Count;
        var remainder = (balance - 1) % clocks.Count;
        var next = clocks.Select(v => NextCharge(v, now).AddHours(rounds)).OrderBy(t => t).ToList();
        return next[remainder];
    }

    private static DateTimeOffset NextCharge(Vm vm, DateTimeOffset now)
    {
        var start = vm.CreatedAtCloud!.Value;
        var hoursRun = Math.Max(0, (int)Math.Floor((now - start).TotalHours));
        return start.AddHours(hoursRun + 1);
    }
}
