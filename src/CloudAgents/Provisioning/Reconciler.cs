using System.Collections.Concurrent;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// Periodically compares each cloud's inventory with the event log: VMs that vanished become LOST, VMs the log
/// does not know are terminated after a grace period, and intents with no progress (a crash between intent and
/// call) are handed to their handlers again. Every action is idempotent, so several nodes may reconcile at once.
/// </summary>
public sealed class Reconciler(
    IDocumentStore store,
    CloudDriverRegistry drivers,
    VmOutcomeRecorder recorder,
    IServiceScopeFactory scopes,
    InFlight inFlight,
    IOptions<AgentOptions> options,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<Reconciler> log) : BackgroundService
{
    private readonly ConcurrentDictionary<(string Cloud, string Name), DateTimeOffset> _orphansSeen = new();
    // When each stalled VM was last handed back, and how long to wait before the next time (doubling).
    private readonly ConcurrentDictionary<(string Cloud, Guid Vm), (DateTimeOffset At, TimeSpan Wait)> _resent = new();

    private string Prefix => (configuration["Director:DeploymentName"] is { Length: > 0 } d ? d : VmNaming.DefaultDeployment) + "-";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, clock);
        do
        {
            foreach (var (cloud, driver) in drivers.Drivers)
            {
                try
                {
                    await Reconcile(cloud, driver, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning(ex, "Reconciling cloud {Cloud} failed; trying again next round", cloud);
                }
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task Reconcile(string cloud, ICloudDriver driver, CancellationToken ct)
    {
        var inventory = (await driver.List(Prefix, ct)).Select(v => v.Name).ToHashSet();
        // Only the four fields a round uses: every live VM is read each round, and whole documents made each round
        // allocate megabytes at 10,000 VMs (what the process keeps resident grows with it).
        IReadOnlyList<LiveVm> records;
        await using (var session = store.QuerySession())
            records = await session.Query<Vm>()
                .Where(v => v.Cloud == cloud && !v.Released && v.State != VmState.TERMINATED && v.State != VmState.LOST)
                .Select(v => new LiveVm(v.Id, v.Name, v.State, v.UpdatedAt))
                .ToListAsync(ct);
        var now = clock.GetUtcNow();
        var o = options.Value;

        foreach (var vm in records.Where(v => v.State is VmState.BOOTING or VmState.RUNNING && !inventory.Contains(v.Name)))
        {
            // Read the inventory again for this one: it may have been created after the listing began.
            if (await driver.Describe(vm.Name, ct) is not null) continue;
            log.LogWarning("VM {Vm} disappeared from cloud {Cloud}", vm.Name, cloud);
            await recorder.Record(new VmOutcome.Lost(vm.Id, $"the VM disappeared from cloud '{cloud}'"), ct);
            await driver.Terminate(vm.Name, ct); // clears what the cloud may keep of it
        }

        var known = records.Select(v => v.Name).ToHashSet();
        var unknown = inventory.Where(n => !known.Contains(n)).ToArray();
        // A VM whose end the log records (a create that finished after its stop, on a node that then died) waits for
        // no grace period: nobody will ever claim it.
        var ended = new HashSet<string>();
        if (unknown.Length > 0)
            await using (var session = store.QuerySession())
                ended = (await session.Query<Vm>().Where(v => v.Cloud == cloud && v.Name.IsOneOf(unknown)).Select(v => v.Name).ToListAsync(ct)).ToHashSet();
        foreach (var name in unknown)
        {
            var firstSeen = _orphansSeen.GetOrAdd((cloud, name), now);
            if (!ended.Contains(name) && now - firstSeen < o.OrphanGracePeriod) continue;
            log.LogWarning("Terminating orphan VM {Vm} on cloud {Cloud}: no live VM in the log has that name", name, cloud);
            await driver.Terminate(name, ct);
            _orphansSeen.TryRemove((cloud, name), out _);
        }

        foreach (var gone in _orphansSeen.Keys.Where(k => k.Cloud == cloud && (!inventory.Contains(k.Name) || known.Contains(k.Name))))
            _orphansSeen.TryRemove(gone, out _);

        // A VM gone from the log, or changed since it was handed back, starts again from the first wait.
        var updatedAt = records.ToDictionary(r => r.Id, r => r.UpdatedAt);
        foreach (var (key, sent) in _resent.Where(x => x.Key.Cloud == cloud))
            if (!updatedAt.TryGetValue(key.Vm, out var updated) || updated >= sent.At) _resent.TryRemove(key, out _);
        await using var scope = scopes.CreateAsyncScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        foreach (var vm in records.Where(v => now - v.UpdatedAt > o.StalledAfter && !inFlight.IsWorking(v.Id)))
        {
            // A handler may still be retrying with backoff: hand the VM back again only after a doubling wait.
            object? retry = vm.State switch
            {
                VmState.REQUESTED or VmState.PROVISIONING => new ProvisionVm(vm.Id),
                VmState.BOOTING => new CheckVmReadiness(vm.Id, vm.UpdatedAt + o.ReadinessTimeout),
                VmState.TERMINATING or VmState.FAILED => new TerminateVm(vm.Id),
                _ => null,
            };
            if (retry is null) continue;
            if (_resent.TryGetValue((cloud, vm.Id), out var last) && last.At > vm.UpdatedAt && now - last.At < last.Wait) continue;
            _resent[(cloud, vm.Id)] = (now, last.At > vm.UpdatedAt ? last.Wait * 2 : o.StalledAfter);
            log.LogInformation("VM {Vm} has been {State} for {Age}; handing it to its handler again", vm.Name, vm.State, now - vm.UpdatedAt);
            await bus.PublishAsync(retry);
        }
    }
}

/// <summary>What reconciliation reads of each live VM.</summary>
public sealed record LiveVm(Guid Id, string Name, VmState State, DateTimeOffset UpdatedAt);
