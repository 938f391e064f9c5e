using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.Projections.Writing;
using Marten;

namespace Conpaas.CloudAgents.Outcomes;

/// <summary>What a cloud said about a VM.</summary>
public abstract record VmOutcome(Guid VmId)
{
    public sealed record Provisioning(Guid VmId) : VmOutcome(VmId);
    public sealed record Created(Guid VmId, string ProviderId, string? Address) : VmOutcome(VmId);
    /// <summary>Created, and already answering when first asked (one transaction instead of two).</summary>
    public sealed record CreatedAndReady(Guid VmId, string ProviderId, string Address) : VmOutcome(VmId);
    public sealed record Ready(Guid VmId, string Address) : VmOutcome(VmId);
    public sealed record Failed(Guid VmId, string Reason) : VmOutcome(VmId);
    public sealed record Terminated(Guid VmId) : VmOutcome(VmId);
    public sealed record Lost(Guid VmId, string Reason) : VmOutcome(VmId);
}

/// <summary>
/// Records a VM outcome and its service's reaction in one transaction. The service stream's version check
/// serializes everything that happens to a service's VMs (a stop racing a readiness check, two VMs ready at once).
/// </summary>
public sealed class VmOutcomeRecorder(IDocumentStore store, ServiceContextFactory contexts, Provisioning.IntentOutbox outbox, IServiceProvider services)
{
    public const string Actor = "system";

    /// <param name="serviceId">The VM's service when the caller knows it already (saves a read).</param>
    public async Task Record(VmOutcome outcome, CancellationToken ct, string? correlationId = null, Guid? serviceId = null)
    {
        await DecideWithService(outcome, ct, correlationId, serviceId);
        // A VM that is gone keeps no valid certificate.
        if (outcome is VmOutcome.Terminated or VmOutcome.Lost && services.GetService(typeof(Provisioning.IVmCertificates)) is Provisioning.IVmCertificates ca)
            await ca.Revoke(outcome.VmId, ct);
    }

    /// <summary>
    /// Records PROVISIONING (when the VM is still REQUESTED); false when the VM is no longer waiting for its cloud
    /// (a stop came first), and then nothing is recorded.
    /// </summary>
    /// <remarks>
    /// The one outcome recorded without the service's lock, checked against the VM stream's version only: PROVISIONING
    /// changes nothing but the state, and every event a service decision may append to the VM meanwhile without reading
    /// it (a termination request) sets the state anew, so the VM's snapshot ends the same whichever writer read first.
    /// </remarks>
    public async Task<bool> StartProvisioning(Guid vmId, CancellationToken ct) =>
        await DecisionCommit.Retrying(async () =>
        {
            await using var session = Open(null);
            var stream = await session.Events.FetchForWriting<Vm>(vmId, ct);
            var vm = stream.Aggregate ?? throw new InvalidOperationException($"No VM {vmId}");
            var decision = VmOutcomes.Provisioning(vm);
            if (decision.Others.Count > 0)
            {
                session.Append(stream, decision);
                await session.SaveChangesAsync(ct);
            }

            return vm.State is VmState.REQUESTED or VmState.PROVISIONING;
        });

    /// <summary>
    /// Records facts about the VM that neither its snapshot nor its service follow (its certificates): appended to
    /// the VM's stream without its service's lock, as no projection of the VM reads them.
    /// </summary>
    public async Task RecordOnVm(Guid vmId, IReadOnlyList<object> records, CancellationToken ct)
    {
        await using var session = Open(null);
        session.Events.Append(vmId, records.ToArray());
        await session.SaveChangesAsync(ct);
    }

    /// <remarks>
    /// Every outcome, even one that only moves the VM's own stream, takes the service stream's lock: the service's
    /// decisions append to its VMs' streams without reading them, so the service stream is what orders all writes to
    /// a VM (and keeps its inline snapshot from being overwritten by a writer that read it earlier).
    /// </remarks>
    private async Task<(Decision Decision, Vm Vm)> DecideWithService(VmOutcome outcome, CancellationToken ct, string? correlationId,
        Guid? knownServiceId) =>
        await DecisionCommit.Retrying(async () =>
        {
            await using var session = Open(correlationId);
            var serviceId = knownServiceId ?? (await session.LoadAsync<Vm>(outcome.VmId, ct)
                                               ?? throw new InvalidOperationException($"No VM {outcome.VmId}")).ServiceId;
            // Outcomes of one service's VMs queue on the service stream's lock instead of racing and retrying:
            // a crash that loses fifty VMs at once still records fifty outcomes.
            var stream = await session.Events.FetchForExclusiveWriting<Service>(serviceId, ct);
            var service = stream.Aggregate ?? throw new InvalidOperationException($"No service {serviceId}");
            // The VM as it is now that we hold the lock: a duplicate outcome that waited must see the first one's effect.
            // (A lightweight session keeps no identity map, so this reads the row again, on the same connection.)
            var vm = await session.LoadAsync<Vm>(outcome.VmId, ct) ?? throw new InvalidOperationException($"No VM {outcome.VmId}");
            // The owner's credit matters only where a replacement VM may be requested.
            var credit = outcome is VmOutcome.Failed or VmOutcome.Lost ? (await session.LoadAsync<User>(service.OwnerId, ct))?.Credit ?? 0 : 0;
            var ctx = contexts.Create(credit);

            var decision = outcome switch
            {
                VmOutcome.Provisioning => VmOutcomes.Provisioning(vm),
                VmOutcome.Created c => VmOutcomes.Created(vm, c.ProviderId, c.Address, ctx.Now),
                VmOutcome.CreatedAndReady c => VmOutcomes.Created(vm, c.ProviderId, c.Address, ctx.Now)
                    .Then(VmOutcomes.Ready(service, vm, c.Address)),
                VmOutcome.Ready r => VmOutcomes.Ready(service, vm, r.Address),
                VmOutcome.Failed f => VmOutcomes.Failed(service, vm, f.Reason, ctx),
                VmOutcome.Terminated => VmOutcomes.Terminated(service, vm, ctx.Now),
                VmOutcome.Lost l => VmOutcomes.Lost(service, vm, l.Reason, ctx),
                _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
            };
            if (decision.Events.Count + decision.Others.Count > 0)
            {
                session.Append(stream, decision);
                await outbox.Save(session, ct);
            }

            return (decision, vm);
        });

    private IDocumentSession Open(string? correlationId)
    {
        var session = store.LightweightSession();
        session.LastModifiedBy = Actor;
        session.CorrelationId = correlationId;
        return session;
    }
}
