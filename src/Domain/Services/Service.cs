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

    public Node Copy() => (Node)MemberwiseClone();
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

    /// <summary>
    /// A copy for a caller that evolves the service while it decides several things in a row (the outcome recorder, the
    /// manifest planner): the instance a session's FetchForWriting loaded is the one its inline projection goes on to
    /// apply the appended events to, so it must stay as loaded.
    /// </summary>
    public Service Copy()
    {
        var copy = (Service)MemberwiseClone();
        copy.DesiredCounts = new Dictionary<string, int>(DesiredCounts);
        copy.Nodes = Nodes.Select(n => n.Copy()).ToList();
        return copy;
    }

    private static Service Begin(ServiceAdded e) => new()
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

    /// <summary>
    /// The one dispatch (named so that Marten does not take it for a convention method) of a service stream's events: the stream's first event creates the service, every later one is
    /// applied to it. The inline projection (ServiceProjection) and time travel delegate here.
    /// </summary>
    public static Service? After(Service? service, object e)
    {
        if (e is ServiceAdded added) return Begin(added);
        service?.Evolve(e);
        return service;
    }

    /// <summary>Applies any later event of a service stream; others are ignored.</summary>
    private void Evolve(object e)
    {
        switch (e)
        {
            case ServiceRenamed x: On(x); break;
            case ServiceStartRequested x: On(x); break;
            case NodesRequested x: On(x); break;
            case NodeReady x: On(x); break;
            case NodesRemovalRequested x: On(x); break;
            case NodeReleased x: On(x); break;
            case NodeLost x: On(x); break;
            case NodeFailed x: On(x); break;
            case ServiceRunning x: On(x); break;
            case ServiceStopRequested x: On(x); break;
            case ServiceStopped x: On(x); break;
            case ServiceFailed x: On(x); break;
            case ServiceRemovalRequested x: On(x); break;
            case ServiceRemoved x: On(x); break;
        }
    }

    private void On(ServiceRenamed e) => Name = e.Name;

    private void On(ServiceStartRequested e)
    {
        State = ServiceState.PROLOGUE;
        StateReason = null;
        Cloud = e.Cloud;
        DesiredCounts = new Dictionary<string, int>(e.DesiredCounts);
    }

    private void On(NodesRequested e)
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

    private void On(NodeReady e)
    {
        if (Node(e.VmId) is { } node)
        {
            node.Status = NodeStatus.Ready;
            node.Address = e.Address;
        }
    }

    private void On(NodesRemovalRequested e)
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

    private void On(NodeReleased e) => Nodes.RemoveAll(n => n.VmId == e.VmId);

    private void On(NodeLost e) => Nodes.RemoveAll(n => n.VmId == e.VmId);

    private void On(NodeFailed e)
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
    private void On(ServiceRunning _) => State = ServiceState.RUNNING;

    private void On(ServiceStopRequested e)
    {
        State = ServiceState.EPILOGUE;
        StateReason = e.Reason;
        foreach (var node in Nodes) node.Status = NodeStatus.Terminating;
    }

    private void On(ServiceStopped _)
    {
        State = ServiceState.STOPPED;
        DesiredCounts = DesiredCounts.ToDictionary(p => p.Key, _ => 0);
    }

    private void On(ServiceFailed e)
    {
        State = ServiceState.ERROR;
        StateReason = e.Reason;
        foreach (var node in Nodes) node.Status = NodeStatus.Terminating;
    }

    private void On(ServiceRemovalRequested _) => RemovalPending = true;

    private void On(ServiceRemoved _) => Removed = true;

    public Node? Node(Guid vmId) => Nodes.FirstOrDefault(n => n.VmId == vmId);
}
