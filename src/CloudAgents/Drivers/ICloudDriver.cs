using Conpaas.Domain.Vms;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>What the Director hands a VM at boot (ConPaaS put the same facts in the VM's user-data).</summary>
public sealed record BootContext(
    Guid VmId, string Name, string Role, string? ServiceRole, string ServiceType, string? VpnAddress, string? Network,
    IReadOnlyList<string> BootstrapNodes, string? Namespace, string DirectorUrl, string Credential,
    string? CertificatePem = null, string? PrivateKeyPem = null, string? CaCertificatePem = null)
{
    /// <summary>The service's startup script and archive, each a one-time link (README, Data files).</summary>
    public IReadOnlyList<Provisioning.BootFile> Files { get; init; } = [];
}

/// <summary>A VM to create. <paramref name="UserData"/> is the cloud-init script that boots the agent on a real cloud
/// (made once by the provisioning pipeline; drivers pass it on as their cloud expects).</summary>
public sealed record VmSpec(Guid VmId, string Name, VmRole Role, string ServiceType, BootContext Boot, string? UserData = null);

public enum CloudVmStatus { Pending, Running }

/// <summary>A VM as its cloud describes it.</summary>
public sealed record CloudVm(string Name, string ProviderId, string? Address, CloudVmStatus Status);

/// <summary>A driver's failure: transient ones are retried with backoff, permanent ones end the VM in FAILED.</summary>
public sealed class CloudDriverException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>
/// The cloud port. Every call is idempotent by the VM's deterministic name: a create retried after an ambiguous
/// failure finds the VM instead of making a second one; terminating a VM that is gone is not an error.
/// </summary>
public interface ICloudDriver
{
    Task<CloudVm> Create(VmSpec spec, CancellationToken ct);

    /// <summary>The VMs of this Director (their names start with the prefix) that the cloud has now.</summary>
    Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct);

    Task<CloudVm?> Describe(string name, CancellationToken ct);

    Task Terminate(string name, CancellationToken ct);

    /// <summary>The readiness check: does the VM answer as its role should?</summary>
    Task<bool> IsReady(CloudVm vm, CancellationToken ct);

    /// <summary>What keeps the cloud from taking VM requests right now (wrong credentials, unreachable endpoint), checked
    /// live against the cloud; empty when it answers as it should. Callers cache the answer.</summary>
    Task<IReadOnlyList<string>> Problems(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
}
