using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Services;

public enum NodeStatus { Requested, Ready, Terminating }

/// <summary>A VM the service holds, and the VPN address it holds for it.</summary>
public sealed class Node
{
    public Guid VmId { get; set; }
    public int Number { get; set; }
    public string Name { get; set; } = "";
    public VmRole Role { get; set; }
    public string? ServiceRole { get; set; }
    public string Cloud { get; set; } = "";
    public string? VpnAddress { get; set; }
    public string? Address { get; set; }
    public NodeStatus Status { get; set; }
}

/// <summary>The service aggregate: the ConPaaS state machine and the VMs it holds. Its inline snapshot is the service read model.</summary>
public sealed class Service
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public Guid ApplicationId { get; set; }
    public Guid OwnerId { get; set; }
    public int Sid { get; set; }
    public string Type { get; set; } = "";
    public string Name { get; set; } = "";
    public ServiceState State { get; set; }
    public string? StateReason { get; set; }
    public string? Cloud { get; set; }
    public string? Subnet { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Desired agent count per role.</summary>
    public Dictionary<string, int> DesiredCounts { get; set; } = [];
    public List<Node> Nodes { get; set; } = [];
    /// <summary>The last node number used in a VM name; never reused, so names stay unique.</summary>
    public int LastNodeNumber { get; set; }
    public bool RemovalPending { get; set; }
    public bool Removed { get; set; }

    public IEnumerable<Node> Agents => Nodes.Where(n => n.Role == VmRole.AGENT);

    public static Service Create(ServiceAdded e) => new()
    {
        Id = e.ServiceId,
        ApplicationId = e.ApplicationId,
        OwnerId = e.OwnerId,
        Sid = e.Sid,
        Type = e.Type,
        Name = e.Name,
        Subnet = e.Subnet,
        CreatedAt = e.CreatedAt,
        State = ServiceState.INIT,
    };

    /// <summary>Applies any event of a service stream (what the projection does one type at a time); others are ignored.</summary>
    public void Evolve(object e)
    {
        switch (e)
        {
            case ServiceRenamed x: Apply(x); break;
            case ServiceStartRequested x: Apply(x); break;
            case NodesRequested x: Apply(x); break;
            case NodeReady x: Apply(x); break;
            case NodesRemovalRequested x: Apply(x); break;
            case NodeReleased x: Apply(x); break;
            case NodeLost x: Apply(x); break;
            case NodeFailed x: Apply(x); break;
            case ServiceRunning x: Apply(x); break;
            case ServiceStopRequested x: Apply(x); break;
            case ServiceStopped x: Apply(x); break;
            case ServiceFailed x: Apply(x); break;
            case ServiceRemovalRequested x: Apply(x); break;
            case ServiceRemoved x: Apply(x); break;
        }
    }

    public void Apply(ServiceRenamed e) => Name = e.Name;

    public void Apply(ServiceStartRequested e)
    {
        State = ServiceState.PROLOGUE;
        StateReason = null;
        Cloud = e.Cloud;
        DesiredCounts = new Dictionary<string, int>(e.DesiredCounts);
    }

    public void Apply(NodesRequested e)
    {
        foreach (var n in e.Nodes)
        {
            Nodes.Add(new Node
            {
                VmId = n.VmId, Number = n.Number, Name = n.Name, Role = n.Role, ServiceRole = n.ServiceRole,
                Cloud = n.Cloud, VpnAddress = n.VpnAddress, Status = NodeStatus.Requested,
            });
            LastNodeNumber = Math.Max(LastNodeNumber, n.Number);
            if (e.Reason == NodeRequestReason.Scale && n.ServiceRole is { } role)
                DesiredCounts[role] = DesiredCounts.GetValueOrDefault(role) + 1;
        }

        if (State == ServiceState.RUNNING) StartAdapting();
    }

    public void Apply(NodeReady e)
    {
        if (Node(e.VmId) is { } node)
        {
            node.Status = NodeStatus.Ready;
            node.Address = e.Address;
        }
    }

    public void Apply(NodesRemovalRequested e)
    {
        foreach (var node in Nodes.Where(n => e.VmIds.Contains(n.VmId)))
        {
            node.Status = NodeStatus.Terminating;
            if (node.ServiceRole is { } role) DesiredCounts[role] = Math.Max(0, DesiredCounts.GetValueOrDefault(role) - 1);
        }

        StartAdapting();
    }

    /// <summary>A new adaptation: what went wrong in the last one is no longer the service's state.</summary>
    private void StartAdapting()
    {
        if (State != ServiceState.ADAPTING) StateReason = null;
        State = ServiceState.ADAPTING;
    }

    public void Apply(NodeReleased e) => Nodes.RemoveAll(n => n.VmId == e.VmId);

    public void Apply(NodeLost e) => Nodes.RemoveAll(n => n.VmId == e.VmId);

    public void Apply(NodeFailed e)
    {
        if (Node(e.VmId) is not { } node) return;
        // A node that never ran is given up (see VmOutcomes.Failed): the service wants only what it has, and says why.
        if (node.Status == NodeStatus.Requested)
        {
            if (node.ServiceRole is { } role) DesiredCounts[role] = Math.Max(0, DesiredCounts.GetValueOrDefault(role) - 1);
            StateReason = $"VM {node.Name} failed: {e.Reason}";
        }

        node.Status = NodeStatus.Terminating;
    }

    // The reason a node was given up while adapting stays until the next adaptation or start.
    public void Apply(ServiceRunning _) => State = ServiceState.RUNNING;

    public void Apply(ServiceStopRequested e)
    {
        State = ServiceState.EPILOGUE;
        StateReason = e.Reason;
        foreach (var node in Nodes) node.Status = NodeStatus.Terminating;
    }

    public void Apply(ServiceStopped _)
    {
        State = ServiceState.STOPPED;
        DesiredCounts = DesiredCounts.ToDictionary(p => p.Key, _ => 0);
    }

    public void Apply(ServiceFailed e)
    {
        State = ServiceState.ERROR;
        StateReason = e.Reason;
        foreach (var node in Nodes) node.Status = NodeStatus.Terminating;
    }

    public void Apply(ServiceRemovalRequested _) => RemovalPending = true;

    public void Apply(ServiceRemoved _) => Removed = true;

    public Node? Node(Guid vmId) => Nodes.FirstOrDefault(n => n.VmId == vmId);
}
