using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime;
using Wolverine.Runtime.Handlers;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>VM requested → created at its cloud → readiness checks begin. A stop that came first wins.</summary>
public static class ProvisionVmHandler
{
    /// <summary>The waits before each retry of a create the cloud failed transiently; after the last one the VM is FAILED.</summary>
    public static readonly TimeSpan[] Backoff =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16)];

    public static void Configure(HandlerChain chain)
    {
        // A retried create is expected, not an error: Handle logs one warning line per retry (no stack trace), GiveUp the
        // error at the end. (Wolverine's runtime still logs each rescheduling as one line at Error, event 109.)
        chain.FailureLogLevel = LogLevel.Debug;
        chain.OnException<CloudDriverException>(e => e.Transient).ScheduleRetry(Backoff)
            .Then.CustomAction(GiveUp, "record the VM as FAILED");
    }

    public static Task<Vm?> LoadAsync(ProvisionVm message, IQuerySession session, CancellationToken ct) =>
        session.LoadAsync<Vm>(message.VmId, ct);

    /// <summary>Only a VM still waiting for its cloud is created; a stop that came first is handed to termination.</summary>
    public static HandlerContinuation Validate(Vm? vm) =>
        vm is { State: VmState.REQUESTED or VmState.PROVISIONING } or { State: VmState.TERMINATING, Released: false }
            ? HandlerContinuation.Continue
            : HandlerContinuation.Stop;

    public static async Task<OutgoingMessages> Handle(ProvisionVm message, Vm vm, Envelope envelope, IQuerySession session,
        CloudDriverRegistry drivers, VmOutcomeRecorder recorder, BootContexts boots, IOptions<AgentOptions> options, InFlight inFlight,
        TimeProvider clock, ILogger<ProvisionVm> log, CancellationToken ct)
    {
        if (vm.State == VmState.TERMINATING) return [new TerminateVm(vm.Id)];

        ICloudDriver driver;
        try
        {
            driver = drivers.For(vm.Cloud);
        }
        catch (CloudDriverException ex)
        {
            await recorder.Record(new VmOutcome.Failed(vm.Id, Reasons.Of(ex)), ct, serviceId: vm.ServiceId);
            return [];
        }

        var o = options.Value;
        // Being handled: the reconciler leaves it alone while this attempt records, calls the cloud and records again.
        inFlight.Working(vm.Id, o.DriverCallTimeout * 2 + TimeSpan.FromSeconds(30));
        // PROVISIONING and the VM's new certificate are recorded (one transaction) before the cloud is asked; a stop
        // that came first means nothing is created and no certificate handed out.
        var (boot, toRecord) = await boots.For(vm, ct);
        if ((vm.State == VmState.REQUESTED || toRecord.Count > 0) && !await recorder.StartProvisioning(vm.Id, toRecord, ct))
        {
            inFlight.Done(vm.Id);
            return [];
        }

        VmSpec spec;
        try
        {
            spec = new VmSpec(vm.Id, vm.Name, vm.Role, vm.ServiceType, boot, UserData.Build(boot, AgentPackage.Director.Get()));
        }
        catch (Exception ex) when (ex is CloudDriverException or FileNotFoundException)
        {
            // User data over the cloud's limit, or a Director shipped without its agent: no retry can help.
            inFlight.Done(vm.Id);
            await recorder.Record(new VmOutcome.Failed(vm.Id, ex.Message), ct, serviceId: vm.ServiceId);
            return [];
        }

        CloudVm created;
        try
        {
            created = await Calls.WithTimeout(o.DriverCallTimeout, ct, t => driver.Create(spec, t));
        }
        catch (CloudDriverException ex) when (ex.Transient)
        {
            // Retried with backoff by Configure's policy; the VM's name makes the retry find a VM the failed call did create.
            if (envelope.Attempts <= Backoff.Length)
            {
                log.LogWarning("Creating {Vm} failed ({Reason}); attempt {Attempt} of {Max}", vm.Name, Reasons.Of(ex), envelope.Attempts, Backoff.Length + 1);
                inFlight.Working(vm.Id, Backoff[envelope.Attempts - 1] + o.DriverCallTimeout + TimeSpan.FromSeconds(5));
            }

            throw;
        }
        catch (CloudDriverException ex)
        {
            inFlight.Done(vm.Id);
            await recorder.Record(new VmOutcome.Failed(vm.Id, Refused(ex)), ct, serviceId: vm.ServiceId);
            return [];
        }

        // A cloud that hands over VMs ready at once (the sim cloud, a warm pool) needs no scheduled check.
        if (await ReadyAtOnce(driver, created, o, ct))
        {
            await recorder.Record(new VmOutcome.CreatedAndReady(vm.Id, created.ProviderId, created.Address ?? ""), ct, serviceId: vm.ServiceId);
            await EndIfLetGo(vm, driver, session, o, ct);
            inFlight.Done(vm.Id);
            return [];
        }

        await recorder.Record(new VmOutcome.Created(vm.Id, created.ProviderId, created.Address), ct, serviceId: vm.ServiceId);
        if (await EndIfLetGo(vm, driver, session, o, ct))
        {
            inFlight.Done(vm.Id);
            return [];
        }

        inFlight.Working(vm.Id, o.ReadinessTimeout + o.ReadinessPollInterval * 2);
        return [new CheckVmReadiness(vm.Id, clock.GetUtcNow() + o.ReadinessTimeout)];
    }

    private static string Refused(CloudDriverException ex) => $"The cloud refused the VM: {Reasons.Of(ex)}";

    /// <summary>The last retry failed too: the VM is FAILED (its service reacts), and the message is done.</summary>
    private static async ValueTask GiveUp(IWolverineRuntime runtime, IEnvelopeLifecycle lifecycle, Exception ex)
    {
        var vmId = ((ProvisionVm)lifecycle.Envelope!.Message!).VmId;
        runtime.LoggerFactory.CreateLogger<ProvisionVm>().LogError("Creating VM {VmId} failed after {Attempts} attempts: {Reason}",
            vmId, lifecycle.Envelope.Attempts, Reasons.Of(ex));
        runtime.Services.GetRequiredService<InFlight>().Done(vmId);
        await runtime.Services.GetRequiredService<VmOutcomeRecorder>()
            .Record(new VmOutcome.Failed(vmId, Refused((CloudDriverException)ex)), runtime.Cancellation);
        await lifecycle.CompleteAsync();
    }

    /// <summary>
    /// A stop recorded while the cloud was creating the VM: its termination may already have run and found nothing,
    /// so what was just made is ended now (terminating twice is harmless) rather than by the orphan sweep a minute later.
    /// True when it was.
    /// </summary>
    private static async Task<bool> EndIfLetGo(Vm vm, ICloudDriver driver, IQuerySession session, AgentOptions options, CancellationToken ct)
    {
        // A query session keeps no identity map: this reads the VM as it is now.
        if (await session.LoadAsync<Vm>(vm.Id, ct) is { State: VmState.BOOTING or VmState.RUNNING }) return false;
        await Calls.WithTimeout(options.DriverCallTimeout, ct, async t =>
        {
            await driver.Terminate(vm.Name, t);
            return true;
        });
        return true;
    }

    private static async Task<bool> ReadyAtOnce(ICloudDriver driver, CloudVm created, AgentOptions options, CancellationToken ct)
    {
        try
        {
            return await Calls.WithTimeout(options.DriverCallTimeout, ct, t => driver.IsReady(created, t));
        }
        catch (CloudDriverException)
        {
            // Not answering yet is what the scheduled checks are for.
            return false;
        }
    }
}

/// <summary>VM booting → ready, or FAILED (and terminated) when it does not answer in time.</summary>
public static class CheckVmReadinessHandler
{
    public static Task<Vm?> LoadAsync(CheckVmReadiness message, IQuerySession session, CancellationToken ct) =>
        session.LoadAsync<Vm>(message.VmId, ct);

    public static HandlerContinuation Validate(CheckVmReadiness message, Vm? vm, InFlight inFlight)
    {
        if (vm is { State: VmState.BOOTING }) return HandlerContinuation.Continue;
        inFlight.Done(message.VmId);
        return HandlerContinuation.Stop;
    }

    public static async Task<OutgoingMessages> Handle(CheckVmReadiness message, Vm vm, CloudDriverRegistry drivers, VmOutcomeRecorder recorder,
        IOptions<AgentOptions> options, TimeProvider clock, InFlight inFlight, CancellationToken ct)
    {
        var o = options.Value;
        var driver = drivers.For(vm.Cloud);
        var cloudVm = new CloudVm(vm.Name, vm.ProviderId ?? "", vm.Address, CloudVmStatus.Pending);
        bool ready;
        try
        {
            ready = await Calls.WithTimeout(o.DriverCallTimeout, ct, t => driver.IsReady(cloudVm, t));
        }
        catch (CloudDriverException ex) when (ex.Transient)
        {
            ready = false;
        }
        catch (CloudDriverException ex)
        {
            // The cloud says the VM will never boot (a server in ERROR): no use waiting for the readiness timeout.
            await recorder.Record(new VmOutcome.Failed(vm.Id, ex.Message), ct, serviceId: vm.ServiceId);
            inFlight.Done(vm.Id);
            return [];
        }

        if (ready)
        {
            // Clouds that give a VM its address while it boots (OpenStack, OpenNebula) name it once the VM is up.
            var address = string.IsNullOrEmpty(vm.Address)
                ? (await Calls.WithTimeout(o.DriverCallTimeout, ct, t => driver.Describe(vm.Name, t)))?.Address
                : vm.Address;
            await recorder.Record(new VmOutcome.Ready(vm.Id, address ?? ""), ct, serviceId: vm.ServiceId);
        }
        else if (clock.GetUtcNow() >= message.Deadline)
            await recorder.Record(new VmOutcome.Failed(vm.Id,
                $"did not become ready within {o.ReadinessTimeout.TotalSeconds:0} s"), ct, serviceId: vm.ServiceId);
        else
        {
            inFlight.Working(vm.Id, o.ReadinessPollInterval * 3);
            return [message.DelayedFor(o.ReadinessPollInterval)];
        }

        inFlight.Done(vm.Id);
        return [];
    }
}

/// <summary>VM released → terminated at its cloud (idempotent: a VM already gone is fine).</summary>
public static class TerminateVmHandler
{
    public static Task<Vm?> LoadAsync(TerminateVm message, IQuerySession session, CancellationToken ct) =>
        session.LoadAsync<Vm>(message.VmId, ct);

    public static HandlerContinuation Validate(Vm? vm) =>
        vm is { Released: false, State: VmState.TERMINATING or VmState.FAILED } ? HandlerContinuation.Continue : HandlerContinuation.Stop;

    public static async Task Handle(TerminateVm message, Vm vm, CloudDriverRegistry drivers, VmOutcomeRecorder recorder,
        IOptions<AgentOptions> options, CancellationToken ct)
    {
        if (drivers.Drivers.TryGetValue(vm.Cloud, out var driver))
            await Calls.WithTimeout(options.Value.DriverCallTimeout, ct, async t =>
            {
                await driver.Terminate(vm.Name, t);
                return true;
            });
        await recorder.Record(new VmOutcome.Terminated(vm.Id), ct, serviceId: vm.ServiceId);
    }
}

internal static class Calls
{
    /// <summary>A driver call that takes too long is a transient failure, retried like any other.</summary>
    public static async Task<T> WithTimeout<T>(TimeSpan timeout, CancellationToken ct, Func<CancellationToken, Task<T>> call)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            return await call(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CloudDriverException($"the cloud did not answer within {timeout.TotalSeconds:0} s", transient: true);
        }
    }
}
