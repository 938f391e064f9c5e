namespace Conpaas.Domain.Vms;

public enum VmRole { MANAGER, AGENT }

public enum VmState { REQUESTED, PROVISIONING, BOOTING, RUNNING, TERMINATING, TERMINATED, FAILED, LOST }

/// <summary>The durable intent that precedes every cloud call; the name is the idempotency token at the cloud.</summary>
public sealed record VmRequested(
    Guid VmId,
    Guid ServiceId,
    Guid ApplicationId,
    Guid OwnerId,
    string Name,
    string Cloud,
    VmRole Role,
    string? ServiceRole,
    string ServiceType,
    string? VpnAddress,
    DateTimeOffset RequestedAt) : IEvolves<Vm>;

/// <summary>The driver was asked to create the VM.</summary>
public sealed record VmProvisioning : IEvolves<Vm>;

/// <summary>The cloud has the VM; it is booting.</summary>
public sealed record VmCreated(string ProviderId, string? Address, DateTimeOffset? At = null) : IEvolves<Vm>;

public sealed record VmReady(string Address) : IEvolves<Vm>;

public sealed record VmTerminationRequested(string Reason) : IEvolves<Vm>;

public sealed record VmTerminated(DateTimeOffset? At = null) : IEvolves<Vm>;

public sealed record VmFailed(string Reason) : IEvolves<Vm>;

/// <summary>The cloud no longer has the VM (crashed, killed, deleted behind our back).</summary>
public sealed record VmLost(string Reason, DateTimeOffset? At = null) : IEvolves<Vm>;

/// <summary>The VM's owner was charged for its hour <see cref="Hour"/> (0 at creation, then every full hour).</summary>
/// <remarks><paramref name="Amount"/>: what the hour cost (0 when the owner's balance could not cover it); events written
/// before it was recorded were all paid.</remarks>
public sealed record VmCharged(int Hour, int Amount = 1) : IEvolves<Vm>;
