using System.Collections.Concurrent;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Writing;
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
public sealed class VmOutcomeRecorder(IDocumentStore store, ServiceContextFactory contexts, IServiceProvider services, DirectorMetrics metrics)
{
    public const string Actor = "system";

    private const int MaxBatch = 64;
    private readonly ConcurrentDictionary<Guid, Batch> _batches = new();

    /// <summary>Outcomes of one service's VMs waiting for the one that is being recorded.</summary>
    private sealed class Batch
    {
        public readonly List<(VmOutcome Outcome, TaskCompletionSource Done)> Waiting = [];
        public bool Draining;
    }

    /// <param name="serviceId">The VM's service when the caller knows it already (saves a read).</param>
    public async Task Record(VmOutcome outcome, CancellationToken ct, string? correlationId = null, Guid? serviceId = null)
    {
        var service = serviceId ?? await ServiceOf(outcome.VmId, ct);
        if (correlationId is null) await Together(service, outcome, ct);
        else if ((await Decide(service, [outcome], correlationId, ct))[0] is { } refused) throw refused;
        // A VM that is gone keeps no valid certificate.
        if (outcome is VmOutcome.Terminated or VmOutcome.Lost && services.GetService(typeof(IVmCertificates)) is IVmCertificates ca)
            await ca.Revoke(outcome.VmId, ct);
    }

    /// <summary>
    /// Records PROVISIONING (when the VM is still REQUESTED) and <paramref name="records"/> (the certificate about to
    /// be handed to the cloud) on the VM's stream; false when the VM is no longer waiting for its cloud (a stop came
    /// first), and then nothing is recorded.
    /// </summary>
    /// <remarks>
    /// The one outcome recorded without the service's lock, checked against the VM stream's version only: PROVISIONING
    /// changes nothing but the state, and every event a service decision may append to the VM meanwhile without reading
    /// it (a termination request) sets the state anew, so the VM's snapshot ends the same whichever writer read first.
    /// </remarks>
    public async Task<bool> StartProvisioning(Guid vmId, IReadOnlyList<object> records, CancellationToken ct)
    {
        // A writer that moved the VM meanwhile makes the save fail with a concurrency error: the handler's message is
        // retried by Wolverine's policy (Configuration) and reads the VM again.
        await using var session = Open(null);
        var stream = await session.Events.FetchForWriting<Vm>(vmId, ct);
        var vm = stream.Aggregate ?? throw new InvalidOperationException($"No VM {vmId}");
        if (vm.State is not (VmState.REQUESTED or VmState.PROVISIONING)) return false;
        var decision = VmOutcomes.Provisioning(vm).Then(Decision.Accept([], records.Select(r => new StreamEvent(vmId, r))));
        if (decision.Others.Count > 0)
        {
            session.Append(stream, decision);
            await session.SaveChangesAsync(ct);
        }

        return true;
    }

    private async Task<Guid> ServiceOf(Guid vmId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<Vm>(vmId, ct) ?? throw new InvalidOperationException($"No VM {vmId}")).ServiceId;
    }

    /// <summary>
    /// Group commit per service: an outcome that arrives while another of the same service is being recorded waits,
    /// and the next round records every waiting one in one transaction under one hold of the service's lock (ten VMs
    /// of a scale-out ready at once cost one commit, not ten in a row). Each caller learns how its own outcome went.
    /// </summary>
    private async Task Together(Guid serviceId, VmOutcome outcome, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = _batches.GetOrAdd(serviceId, _ => new Batch());
        bool lead;
        lock (batch)
        {
            batch.Waiting.Add((outcome, done));
            lead = !batch.Draining;
            batch.Draining = true;
        }

        // The round is not tied to one caller's cancellation: the others wait on it.
        if (lead) _ = Task.Run(() => Drain(serviceId, batch), CancellationToken.None);
        await done.Task.WaitAsync(ct);
    }

    private async Task Drain(Guid serviceId, Batch batch)
    {
        while (true)
        {
            List<(VmOutcome Outcome, TaskCompletionSource Done)> round;
            lock (batch)
            {
                if (batch.Waiting.Count == 0)
                {
                    batch.Draining = false;
                    return;
                }

                round = batch.Waiting.Take(MaxBatch).ToList();
                batch.Waiting.RemoveRange(0, round.Count);
            }

            try
            {
                var refused = await Decide(serviceId, round.Select(r => r.Outcome).ToList(), null, CancellationToken.None);
                for (var i = 0; i < round.Count; i++)
                    if (refused[i] is { } error) round[i].Done.TrySetException(error);
                    else round[i].Done.TrySetResult();
            }
            catch (Exception ex)
            {
                foreach (var (_, done) in round) done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// Records outcomes of one service's VMs in one transaction, in order, each decided on the state the ones before
    /// it left; an outcome that cannot be decided (its VM is unknown) is answered alone and the others still go in.
    /// </summary>
    /// <remarks>
    /// Every outcome (but PROVISIONING, see <see cref="StartProvisioning"/>) takes the service stream's lock: the
    /// service's decisions append to its VMs' streams without reading them, so the service stream is what orders all
    /// writes to a VM (and keeps its inline snapshot from being overwritten by a writer that read it earlier).
    /// </remarks>
    /// <remarks>
    /// A command that moves the service (a stop, a scale) appends to the VMs' streams in its own transaction and may
    /// meet this commit on one of them (its version taken first): the outcomes are then decided again afresh. Not left
    /// to Wolverine's policy: the recorder is also called outside a handler, and a handler retried whole would call
    /// its cloud again.
    /// </remarks>
    private Task<Exception?[]> Decide(Guid serviceId, IReadOnlyList<VmOutcome> outcomes, string? correlationId, CancellationToken ct) =>
        DecisionCommit.Retrying(() => DecideOnce(serviceId, outcomes, correlationId, ct));

    private async Task<Exception?[]> DecideOnce(Guid serviceId, IReadOnlyList<VmOutcome> outcomes, string? correlationId, CancellationToken ct)
    {
        await using var session = Open(correlationId);
        // Outcomes of one service's VMs queue on the service stream's lock instead of racing and retrying:
        // a crash that loses fifty VMs at once still records fifty outcomes.
        var stream = await session.Events.FetchForExclusiveWriting<Service>(serviceId, ct);
        // Copies, evolved below as each outcome is decided so that the next one sees its effect: the loaded instance
        // is the one the session's inline projection applies the appended events to on commit (evolving it would apply
        // them twice: a node listed twice in the service document).
        var service = (stream.Aggregate ?? throw new InvalidOperationException($"No service {serviceId}")).Copy();
        // The VMs as they are now that we hold the lock: a duplicate outcome that waited must see the first one's effect.
        var vms = (await session.LoadManyAsync<Vm>(ct, outcomes.Select(o => o.VmId).Distinct())).ToDictionary(v => v.Id, v => v.Copy());
        // The owner's credit matters only where a replacement VM may be requested.
        var credit = outcomes.Any(o => o is VmOutcome.Failed or VmOutcome.Lost)
            ? (await session.LoadAsync<User>(service.OwnerId, ct))?.Credit ?? 0
            : 0;
        var ctx = contexts.Create(credit);

        var refused = new Exception?[outcomes.Count];
        // Provisioning times of the VMs this commit makes RUNNING, recorded once it went in.
        var running = new List<double>();
        var all = Decision.Accept();
        var work = new List<object>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (!vms.TryGetValue(outcomes[i].VmId, out var vm))
            {
                refused[i] = new InvalidOperationException($"No VM {outcomes[i].VmId}");
                continue;
            }

            var decision = Decide(outcomes[i], service, vm, ctx);
            if (decision.Error is { } error)
            {
                refused[i] = error.ToException();
                continue;
            }

            var wasRunning = vm.State == VmState.RUNNING;
            foreach (var e in decision.Events) Service.After(service, e);
            foreach (var other in decision.Others)
                if (vms.TryGetValue(other.StreamId, out var touched)) Vm.After(touched, other.Event);
            if (!wasRunning && vm.State == VmState.RUNNING) running.Add((ctx.Now - vm.CreatedAt).TotalSeconds);
            all = all.Then(decision);
            // The replacement a failure asks for, the termination of what the service let go: sent with this commit.
            work.AddRange(CloudWork.Of(decision));
        }

        if (all.Events.Count + all.Others.Count > 0)
        {
            session.Append(stream, all);
            await session.SaveChangesWith(work, services, ct);
        }

        foreach (var seconds in running) metrics.ProvisioningTime.Record(seconds);
        return refused;
    }

    private static Decision Decide(VmOutcome outcome, Service service, Vm vm, ServiceContext ctx) => outcome switch
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

    private IDocumentSession Open(string? correlationId)
    {
        var session = store.LightweightSession();
        session.LastModifiedBy = Actor;
        session.CorrelationId = correlationId;
        return session;
    }
}
