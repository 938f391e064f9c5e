using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Services;

public enum ServiceState { INIT, PROLOGUE, RUNNING, ADAPTING, EPILOGUE, STOPPED, ERROR }

public enum NodeRequestReason { Start, Scale, Replacement }

public sealed record ServiceAdded(
    Guid ServiceId, Guid ApplicationId, Guid OwnerId, int Sid, string Type, string Name, string? Subnet, DateTimeOffset CreatedAt) : IDomainEvent;

public sealed record ServiceRenamed(string Name) : IDomainEvent;

/// <summary>Start: PROLOGUE on a cloud, with the type's initial agents as the desired counts.</summary>
public sealed record ServiceStartRequested(string Cloud, IReadOnlyDictionary<string, int> DesiredCounts) : IDomainEvent;

/// <summary>VMs this service asked for (each also starts a VM stream with <see cref="VmRequested"/>).</summary>
public sealed record NodesRequested(NodeRequestReason Reason, IReadOnlyList<NodeRequest> Nodes) : IDomainEvent;

public sealed record NodeRequest(Guid VmId, int Number, string Name, VmRole Role, string? ServiceRole, string Cloud, string? VpnAddress);

public sealed record NodeReady(Guid VmId, string Address) : IDomainEvent;

public sealed record NodesRemovalRequested(IReadOnlyList<Guid> VmIds) : IDomainEvent;

/// <summary>The VM is gone at its cloud; its VPN address is free again.</summary>
public sealed record NodeReleased(Guid VmId) : IDomainEvent;

public sealed record NodeLost(Guid VmId, string Reason) : IDomainEvent;

/// <summary>A node failed (a running one is replaced, one being added is given up): it keeps its address until its VM is terminated.</summary>
public sealed record NodeFailed(Guid VmId, string Reason) : IDomainEvent;

public sealed record ServiceRunning : IDomainEvent;

public sealed record ServiceStopRequested(string Reason) : IDomainEvent;

public sealed record ServiceStopped : IDomainEvent;

public sealed record ServiceFailed(string Reason) : IDomainEvent;

/// <summary>Remove once stopped (removeService or deleteApplication on a service that still holds VMs).</summary>
public sealed record ServiceRemovalRequested : IDomainEvent;

public sealed record ServiceRemoved : IDomainEvent;
