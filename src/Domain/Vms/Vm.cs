namespace Conpaas.Domain.Vms;

/// <summary>One VM's life from intent to end. Its inline snapshot is the VM read model.</summary>
public sealed class Vm
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public Guid ServiceId { get; set; }
    public Guid ApplicationId { get; set; }
    public Guid OwnerId { get; set; }
    public string Name { get; set; } = "";
    public string Cloud { get; set; } = "";
    public VmRole Role { get; set; }
    public string? ServiceRole { get; set; }
    public string ServiceType { get; set; } = "";
    public string? VpnAddress { get; set; }
    public string? ProviderId { get; set; }
    public string? Address { get; set; }
    public VmState State { get; set; }
    public string? StateReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>A failed VM is still terminated at its cloud; this says that has happened.</summary>
    public bool Released { get; set; }
    /// <summary>Hours the charger has dealt with (each exactly once, paid or not).</summary>
    public int ChargedHours { get; set; }
    /// <summary>Hours the owner actually paid for: what the credit ledger shows for this VM.</summary>
    public int PaidHours { get; set; }
    /// <summary>When the cloud made the VM: its first credit, and every full hour after it, are charged from here.</summary>
    public DateTimeOffset? CreatedAtCloud { get; set; }
    /// <summary>When the cloud stopped having it (terminated or lost): no hour after this is charged.</summary>
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>When the record last changed (the store's last-modified time): how the reconciler spots stalled intents.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Still holds (or may hold) a machine at its cloud.</summary>
    public bool IsLive => !Released && State is not (VmState.TERMINATED or VmState.LOST);

    public static Vm Create(VmRequested e) => new()
    {
        Id = e.VmId,
        ServiceId = e.ServiceId,
        ApplicationId = e.ApplicationId,
        OwnerId = e.OwnerId,
        Name = e.Name,
        Cloud = e.Cloud,
        Role = e.Role,
        ServiceRole = e.ServiceRole,
        ServiceType = e.ServiceType,
        VpnAddress = e.VpnAddress,
        State = VmState.REQUESTED,
        CreatedAt = e.RequestedAt,
    };

    /// <summary>Applies any event of a VM stream (what the projection does one type at a time); others are ignored.</summary>
    public void Evolve(object e)
    {
        switch (e)
        {
            case VmProvisioning x: Apply(x); break;
            case VmCreated x: Apply(x); break;
            case VmReady x: Apply(x); break;
            case VmTerminationRequested x: Apply(x); break;
            case VmTerminated x: Apply(x); break;
            case VmFailed x: Apply(x); break;
            case VmLost x: Apply(x); break;
            case VmCharged x: Apply(x); break;
        }
    }

    public void Apply(VmProvisioning _) => State = VmState.PROVISIONING;

    public void Apply(VmCreated e)
    {
        State = VmState.BOOTING;
        ProviderId = e.ProviderId;
        CreatedAtCloud = e.At;
        Address = e.Address ?? Address;
    }

    public void Apply(VmReady e)
    {
        State = VmState.RUNNING;
        Address = e.Address;
    }

    public void Apply(VmTerminationRequested e)
    {
        // A failed VM keeps its FAILED state and reason while it is being cleaned up.
        if (State == VmState.FAILED) return;
        State = VmState.TERMINATING;
        StateReason = e.Reason;
    }

    public void Apply(VmTerminated e)
    {
        Released = true;
        EndedAt = e.At;
        if (State != VmState.FAILED) State = VmState.TERMINATED;
    }

    public void Apply(VmFailed e)
    {
        State = VmState.FAILED;
        StateReason = e.Reason;
    }

    public void Apply(VmLost e)
    {
        State = VmState.LOST;
        StateReason = e.Reason;
        Released = true;
        EndedAt = e.At;
    }

    public void Apply(VmCharged e)
    {
        if (e.Hour < ChargedHours) return;
        ChargedHours = e.Hour + 1;
        if (e.Amount > 0) PaidHours++;
    }
}
