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

    /// <summary>A copy to evolve while deciding (see <see cref="Services.Service.Copy"/>).</summary>
    public Vm Copy() => (Vm)MemberwiseClone();

    /// <summary>Still holds (or may hold) a machine at its cloud.</summary>
    public bool IsLive => !Released && State is not (VmState.TERMINATED or VmState.LOST);

    private static Vm Begin(VmRequested e) => new()
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

    /// <summary>
    /// The one dispatch (named so that Marten does not take it for a convention method) of a VM stream's events: the stream's first event creates the VM, every later one is applied to
    /// it. The inline projection (VmProjection) delegates here.
    /// </summary>
    public static Vm? After(Vm? vm, object e)
    {
        if (e is VmRequested requested) return Begin(requested);
        vm?.Evolve(e);
        return vm;
    }

    /// <summary>Applies any later event of a VM stream; others are ignored.</summary>
    private void Evolve(object e)
    {
        switch (e)
        {
            case VmProvisioning x: On(x); break;
            case VmCreated x: On(x); break;
            case VmReady x: On(x); break;
            case VmTerminationRequested x: On(x); break;
            case VmTerminated x: On(x); break;
            case VmFailed x: On(x); break;
            case VmLost x: On(x); break;
            case VmCharged x: On(x); break;
        }
    }

    private void On(VmProvisioning _) => State = VmState.PROVISIONING;

    private void On(VmCreated e)
    {
        State = VmState.BOOTING;
        ProviderId = e.ProviderId;
        CreatedAtCloud = e.At;
        Address = e.Address ?? Address;
    }

    private void On(VmReady e)
    {
        State = VmState.RUNNING;
        Address = e.Address;
    }

    private void On(VmTerminationRequested e)
    {
        // A failed VM keeps its FAILED state and reason while it is being cleaned up.
        if (State == VmState.FAILED) return;
        State = VmState.TERMINATING;
        StateReason = e.Reason;
    }

    private void On(VmTerminated e)
    {
        Released = true;
        EndedAt = e.At;
        if (State != VmState.FAILED) State = VmState.TERMINATED;
    }

    private void On(VmFailed e)
    {
        State = VmState.FAILED;
        StateReason = e.Reason;
    }

    private void On(VmLost e)
    {
        State = VmState.LOST;
        StateReason = e.Reason;
        Released = true;
        EndedAt = e.At;
    }

    private void On(VmCharged e)
    {
        if (e.Hour < ChargedHours) return;
        ChargedHours = e.Hour + 1;
        if (e.Amount > 0) PaidHours++;
    }
}
