using Conpaas.Domain.Vms;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>A VM's own key and certificate (role manager or agent, its application), signed by the Director's CA.</summary>
public sealed record VmCredentials(string CertificatePem, string PrivateKeyPem, string CaCertificatePem);

/// <summary>The Director's CA as the agents see it: a certificate per VM at boot, revoked when the VM is gone.</summary>
public interface IVmCertificates
{
    Task<VmCredentials> Issue(Vm vm, CancellationToken ct);

    Task Revoke(Guid vmId, CancellationToken ct);
}
