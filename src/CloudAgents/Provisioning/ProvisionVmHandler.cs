using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>VM requested → created at its cloud → readiness checks begin. A stop that came first wins.</summary>
public static class ProvisionVmHandler
{
    public const int MaxAttempts = 6;

    public static async Task Handle(ProvisionVm message, Envelope envelope, IDocumentStore store, CloudDriverRegistry drivers,
        VmOutcomeRecorder recorder, BootContexts boots, IMessageBus bus, IOptions<AgentOptions> options, TimeProvider clock,
        InFlight inFlight, ILogger<ProvisionVm> log, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var vm = await session.LoadAsync<Vm>(message.VmId, ct);
        if (vm is null) return;
        if (vm.State == VmState.TERMINATING && !vm.Released)
        {
            await bus.PublishAsync(new TerminateVm(vm.Id));
            return;
        }

        if (vm.State is not (VmState.REQUESTED or VmState.PROVISIONING)) return;

        ICloudDriver driver;
        try
        {
            driver = drivers.For(vm.Cloud);
        }
        catch (CloudDriverException ex)
        {
            await recorder.Record(new VmOutcome.Failed(vm.Id, Reasons.Of(ex)), ct, serviceId: vm.ServiceId);
            return;
        }

        // Being handled: the reconciler leaves it alone while this attempt records, calls the cloud and records again.
        inFlight.Working(vm.Id, options.Value.DriverCallTimeout * 2 + TimeSpan.FromSeconds(30));
        // PROVISIONING and the VM's new certificate are recorded (one transaction) before the cloud is asked; a stop
        // that came first means nothing is created and no certificate handed out.
        var (boot, toRecord) = await boots.For(vm, ct);
        if ((vm.State == VmState.REQUESTED || toRecord.Count > 0) && !await recorder.StartProvisioning(vm.Id, toRecord, ct))
        {
            inFlight.Done(vm.Id);
            return;
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
            return;
        }

        CloudVm created;
        try
        {
            created = await Calls.WithTimeout(options.Value.DriverCallTimeout, ct, t => driver.Create(spec, t));
        }
        catch (CloudDriverException ex) when (ex.Transient && envelope.Attempts < MaxAttempts)
        {
            // Retried with backoff; the VM's name makes the retry find a VM the failed call did create.
            log.LogWarning("Creating {Vm} failed ({Reason}); attempt {Attempt} of {Max}", vm.Name, Reasons.Of(ex), envelope.Attempts, MaxAttempts);
            inFlight.Working(vm.Id, TimeSpan.FromSeconds(20 << Math.Min(envelope.Attempts, 4)) + options.Value.DriverCallTimeout);
            throw;
        }
        catch (CloudDriverException ex)
        {
            inFlight.Done(vm.Id);
            await recorder.Record(new VmOutcome.Failed(vm.Id, $"The cloud refused the VM: {Reasons.Of(ex)}"), ct, serviceId: vm.ServiceId);
            return;
        }

        // A cloud that hands over VMs ready at once (the sim cloud, a warm pool) needs no scheduled check.
        if (await ReadyAtOnce(driver, created, options.Value, ct))
        {
            await recorder.Record(new VmOutcome.CreatedAndReady(vm.Id, created.ProviderId, created.Address ?? ""), ct, serviceId: vm.ServiceId);
            await EndIfLetGo(vm, driver, store, options.Value, ct);
            inFlight.Done(vm.Id);
            return;
        }

        await recorder.Record(new VmOutcome.Created(vm.Id, created.ProviderId, created.Address), ct, serviceId: vm.ServiceId);
        if (await EndIfLetGo(vm, driver, store, options.Value, ct))
        {
            inFlight.Done(vm.Id);
            return;
        }

        inFlight.Working(vm.Id, options.Value.ReadinessTimeout + options.Value.ReadinessPollInterval * 2);
        await bus.PublishAsync(new CheckVmReadiness(vm.Id, clock.GetUtcNow() + options.Value.ReadinessTimeout));
    }

    /// <summary>
    /// A stop recorded while the cloud was creating the VM: its termination may already have run and found nothing,
    /// so what was just made is ended now (terminating twice is harmless) rather than by the orphan sweep a minute later.
    /// True when it was.
    /// </summary>
    private static async Task<bool> EndIfLetGo(Vm vm, ICloudDriver driver, IDocumentStore store, AgentOptions options, CancellationToken ct)
    {
        Vm? now;
        await using (var session = store.QuerySession())
            now = await session.LoadAsync<Vm>(vm.Id, ct);
        if (now is { State: VmState.BOOTING or VmState.RUNNING }) return false;
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
    public static async Task Handle(CheckVmReadiness message, IDocumentStore store, CloudDriverRegistry drivers,
        VmOutcomeRecorder recorder, IMessageBus bus, IOptions<AgentOptions> options, TimeProvider clock, InFlight inFlight, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var vm = await session.LoadAsync<Vm>(message.VmId, ct);
        if (vm is null || vm.State != VmState.BOOTING)
        {
            inFlight.Done(message.VmId);
            return;
        }

        var driver = drivers.For(vm.Cloud);
        var cloudVm = new CloudVm(vm.Name, vm.ProviderId ?? "", vm.Address, CloudVmStatus.Pending);
        bool ready;
        try
        {
            ready = await Calls.WithTimeout(options.Value.DriverCallTimeout, ct, t => driver.IsReady(cloudVm, t));
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
            return;
        }

        if (ready)
        {
            // Clouds that give a VM its address while it boots (OpenStack, OpenNebula) name it once the VM is up.
            var address = string.IsNullOrEmpty(vm.Address)
                ? (await Calls.WithTimeout(options.Value.DriverCallTimeout, ct, t => driver.Describe(vm.Name, t)))?.Address
                : vm.Address;
            await recorder.Record(new VmOutcome.Ready(vm.Id, address ?? ""), ct, serviceId: vm.ServiceId);
        }
        else if (clock.GetUtcNow() >= message.Deadline)
            await recorder.Record(new VmOutcome.Failed(vm.Id,
                $"did not become ready within {options.Value.ReadinessTimeout.TotalSeconds:0} s"), ct, serviceId: vm.ServiceId);
        else
        {
            inFlight.Working(vm.Id, options.Value.ReadinessPollInterval * 3);
            await bus.ScheduleAsync(message, options.Value.ReadinessPollInterval);
            return;
        }

        inFlight.Done(vm.Id);
    }
}

/// <summary>VM released → terminated at its cloud (idempotent: a VM already gone is fine).</summary>
public static class TerminateVmHandler
{
    public static async Task Handle(TerminateVm message, IDocumentStore store, CloudDriverRegistry drivers, VmOutcomeRecorder recorder,
        IOptions<AgentOptions> options, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var vm = await session.LoadAsync<Vm>(message.VmId, ct);
        if (vm is null || vm.Released) return;
        if (vm.State is not (VmState.TERMINATING or VmState.FAILED)) return;

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
