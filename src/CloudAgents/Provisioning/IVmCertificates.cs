using Conpaas.Domain.Vms;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>A VM's own key and certificate (role manager or agent, its application), signed by the Director's CA.</summary>
public sealed record VmCredentials(string CertificatePem, string PrivateKeyPem, string CaCertificatePem);

/// <summary>A certificate signed for a VM and the event that records it (on the VM's stream), not recorded yet.</summary>
public sealed record PreparedVmCredentials(VmCredentials Credentials, object Record);

/// <summary>The Director's CA as the agents see it: a certificate per VM at boot, revoked when the VM is gone.</summary>
public interface IVmCertificates
{
    /// <summary>Signs a certificate for the VM; the caller records <see cref="PreparedVmCredentials.Record"/> before handing it out.</summary>
    PreparedVmCredentials Prepare(Vm vm);

    Task Revoke(Guid vmId, CancellationToken ct);
}
