using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Services;

public enum ServiceState { INIT, PROLOGUE, RUNNING, ADAPTING, EPILOGUE, STOPPED, ERROR }

public enum NodeRequestReason { Start, Scale, Replacement }

public sealed record ServiceAdded(
    Guid ServiceId, Guid ApplicationId, Guid OwnerId, int Sid, string Type, string Name, string? Subnet, DateTimeOffset CreatedAt) : IEvolves<Service>;

public sealed record ServiceRenamed(string Name) : IEvolves<Service>;

/// <summary>Start: PROLOGUE on a cloud, with the type's initial agents as the desired counts.</summary>
public sealed record ServiceStartRequested(string Cloud, IReadOnlyDictionary<string, int> DesiredCounts) : IEvolves<Service>;

/// <summary>VMs this service asked for (each also starts a VM stream with <see cref="VmRequested"/>).</summary>
public sealed record NodesRequested(NodeRequestReason Reason, IReadOnlyList<NodeRequest> Nodes) : IEvolves<Service>;

public sealed record NodeRequest(Guid VmId, int Number, string Name, VmRole Role, string? ServiceRole, string Cloud, string? VpnAddress);

public sealed record NodeReady(Guid VmId, string Address) : IEvolves<Service>;

public sealed record NodesRemovalRequested(IReadOnlyList<Guid> VmIds) : IEvolves<Service>;

/// <summary>The VM is gone at its cloud; its VPN address is free again.</summary>
public sealed record NodeReleased(Guid VmId) : IEvolves<Service>;

public sealed record NodeLost(Guid VmId, string Reason) : IEvolves<Service>;

/// <summary>A node failed (a running one is replaced, one being added is given up): it keeps its address until its VM is terminated.</summary>
public sealed record NodeFailed(Guid VmId, string Reason) : IEvolves<Service>;

public sealed record ServiceRunning : IEvolves<Service>;

public sealed record ServiceStopRequested(string Reason) : IEvolves<Service>;

public sealed record ServiceStopped : IEvolves<Service>;

public sealed record ServiceFailed(string Reason) : IEvolves<Service>;

/// <summary>Remove once stopped (removeService or deleteApplication on a service that still holds VMs).</summary>
public sealed record ServiceRemovalRequested : IEvolves<Service>;

public sealed record ServiceRemoved : IEvolves<Service>;
