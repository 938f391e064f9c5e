using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Credits;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Writing;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conpaas.CloudAgents.Credits;

/// <summary>Settings under "Credits".</summary>
public sealed class CreditOptions
{
    public const string Section = "Credits";

    /// <summary>How often VM-hours are charged and exhausted users' services stopped.</summary>
    public TimeSpan ChargePeriod { get; set; } = TimeSpan.FromMinutes(1);
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Charges VM-hours to their owners and stops the services of owners whose credit is gone. Every charge goes
/// through the owner's stream with its version checked, together with the VM's charged-hours mark, so that
/// retries, replays and several nodes charging at once never charge one (VM, hour) twice.
/// </summary>
public sealed class Charger(IDocumentStore store, IServiceProvider services, TimeProvider clock, ILogger<Charger> log, DirectorMetrics metrics)
{
    public const string Actor = "system";

    public async Task<ChargeRound> RunOnce(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<Billable> billable;
        // Every running VM is read each round: only the fields that say whether an hour is due, not whole documents.
        await using (var query = store.QuerySession())
            billable = (await query.Query<Vm>().Where(v => v.CreatedAtCloud != null && (!v.Released || v.ChargedHours == 0))
                    .Select(v => new Billable(v.Id, v.OwnerId, v.ServiceId, v.CreatedAtCloud, v.EndedAt, v.ChargedHours)).ToListAsync(ct))
                .Where(v => Charging.DueHours(v.CreatedAtCloud, v.EndedAt, now) > v.ChargedHours).ToList();

        var charged = 0;
        foreach (var vm in billable) charged += await Charge(vm, now, ct);
        var stopped = await StopExhausted(ct);
        return new ChargeRound(charged, stopped);
    }

    private async Task<int> Charge(Billable due, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.LastModifiedBy = Actor;
        // The VM's stream is written under its service's lock (see VmOutcomeRecorder): take it too, so that the
        // charge and an outcome recorded at the same moment do not each rewrite the VM's snapshot from a stale read.
        await session.Events.FetchForExclusiveWriting<Service>(due.ServiceId, ct);
        var vm = await session.LoadAsync<Vm>(due.Id, ct);
        // Locked too: chargers on several nodes, and the owner's own commands, wait for this charge instead of racing it.
        var user = await session.Events.FetchForExclusiveWriting<User>(due.OwnerId, ct);
        if (user.Aggregate is null || vm is null) return 0;
        var decision = Charging.Charge(user.Aggregate, vm, now);
        if (decision.Events.Count == 0) return 0;
        session.Append(user, decision);
        await session.SaveChangesAsync(ct);
        metrics.CreditsCharged.Add(decision.Events.OfType<CreditCharged>().Sum(c => c.Amount));
        return decision.Others.Count;
    }

    /// <summary>ConPaaS: credit exhausted stops the user's services; the reason is recorded on each.</summary>
    private async Task<int> StopExhausted(CancellationToken ct)
    {
        List<Guid> serviceIds;
        await using (var query = store.QuerySession())
        {
            var broke = (await query.Query<User>().Where(u => u.Credit <= 0).Select(u => u.Id).ToListAsync(ct)).ToArray();
            if (broke.Length == 0) return 0;
            serviceIds = (await query.Query<Service>()
                .Where(s => s.OwnerId.IsOneOf(broke) && !s.Removed
                            && (s.State == ServiceState.PROLOGUE || s.State == ServiceState.RUNNING || s.State == ServiceState.ADAPTING))
                .Select(s => s.Id).ToListAsync(ct)).ToList();
        }

        foreach (var id in serviceIds)
        {
            await using (var session = store.LightweightSession())
            {
                session.LastModifiedBy = Actor;
                // Locked: a command or an outcome of this service waits for the stop instead of racing it.
                var stream = await session.Events.FetchForExclusiveWriting<Service>(id, ct);
                if (stream.Aggregate is not { State: ServiceState.PROLOGUE or ServiceState.RUNNING or ServiceState.ADAPTING } service) continue;
                var decision = StopService.Decide(service, Charging.ExhaustedReason);
                session.Append(stream, decision);
                await session.SaveChangesWith(CloudWork.Of(decision), services, ct);
            }

            log.LogInformation("Stopped service {Service}: {Reason}", id, Charging.ExhaustedReason);
        }

        return serviceIds.Count;
    }
}

public sealed record ChargeRound(int HoursCharged, int ServicesStopped);

/// <summary>What a charging round reads of each VM that may owe hours.</summary>
public sealed record Billable(Guid Id, Guid OwnerId, Guid ServiceId, DateTimeOffset? CreatedAtCloud, DateTimeOffset? EndedAt, int ChargedHours);

/// <summary>Runs the charger every charging period.</summary>
public sealed class CreditLoop(Charger charger, IOptions<CreditOptions> options, TimeProvider clock, ILogger<CreditLoop> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ChargePeriod, clock);
        do
        {
            try
            {
                await charger.RunOnce(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(ex, "A charging round failed; the next one catches up");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
