namespace Conpaas.CloudAgents.Provisioning;

// Every message is handled idempotently from the VM's state in the log, so a duplicate, a retry or a
// message recovered after a crash never makes a second VM or a second outcome.

/// <summary>Create the VM at its cloud (after VmRequested).</summary>
public sealed record ProvisionVm(Guid VmId);

/// <summary>Is the booting VM answering yet? Repeats every poll interval until ready or the deadline.</summary>
public sealed record CheckVmReadiness(Guid VmId, DateTimeOffset Deadline);

/// <summary>Release the VM at its cloud (after VmTerminationRequested).</summary>
public sealed record TerminateVm(Guid VmId);
