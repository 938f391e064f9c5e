using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Hosting;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Writing;
using Conpaas.EventStore.Certificates;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>What a VM's boot context carries so that the VM can prove who it is (and check who calls it).</summary>
public sealed record VmCertificate(string Serial, DateTimeOffset NotAfter, string CertificatePem, string PrivateKeyPem, string CaCertificatePem);

/// <summary>
/// Certificates for VMs, as ConPaaS put a manager or agent certificate into every VM's user-data: a fresh P-256 key
/// made here (it goes into the boot context and is kept nowhere else), role manager or agent, the VM's application and
/// the VM itself in the subjectAltName. Recorded on the VM's own stream (naming the owner), so the owner sees them in
/// the VM's history and the audit log and may revoke them; <see cref="RevokeVmCertificates"/> revokes them when the VM
/// ends. Not on the owner's stream: a thousand VMs of one user starting at once would queue on that one stream.
/// </summary>
public sealed class VmCertificates(
    IDocumentStore store,
    CertificateAuthority ca,
    RevocationLists crls,
    IOptions<CertificateOptions> options,
    IOptions<DirectorOptions> director,
    TimeProvider clock) : Conpaas.CloudAgents.Provisioning.IVmCertificates
{
    public const string Actor = "system";

    Conpaas.CloudAgents.Provisioning.PreparedVmCredentials Conpaas.CloudAgents.Provisioning.IVmCertificates.Prepare(Vm vm)
    {
        var (certificate, issued) = Prepare(vm);
        return new(new(certificate.CertificatePem, certificate.PrivateKeyPem, certificate.CaCertificatePem), issued);
    }

    async Task Conpaas.CloudAgents.Provisioning.IVmCertificates.Revoke(Guid vmId, CancellationToken ct) => await RevokeVmCertificates(vmId, ct);

    /// <summary>Signs a certificate for the VM; the provisioning pipeline records the event with PROVISIONING.</summary>
    public (VmCertificate Certificate, CertificateIssued Issued) Prepare(Vm vm)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var profile = CertificateProfiles.ForVm(vm, CertificateProfiles.CrlUrl(director.Value));
        using var certificate = ca.Issue(profile, new PublicKey(key), clock.GetUtcNow(), options.Value.Validity);
        var issued = profile.Issued(certificate);
        return (new VmCertificate(issued.Serial, issued.NotAfter, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), ca.CertificatePem),
            issued);
    }

    /// <summary>Signs and records a certificate for the VM on its own.</summary>
    public async Task<VmCertificate> IssueVmCertificate(Vm vm, CancellationToken ct)
    {
        var (certificate, issued) = Prepare(vm);
        await using var session = Session();
        session.Events.Append(vm.Id, issued);
        await session.SaveChangesAsync(ct);
        return certificate;
    }

    /// <summary>Revokes (cessationOfOperation) every certificate of the VM not revoked yet; how many it revoked.</summary>
    public async Task<int> RevokeVmCertificates(Guid vmId, CancellationToken ct)
    {
        var revoked = await DecisionCommit.Retrying(async () =>
        {
            await using var session = Session();
            var live = await session.Query<CertificateView>().Where(c => c.VmId == vmId && c.RevokedAt == null).ToListAsync(ct);
            var now = clock.GetUtcNow();
            foreach (var certificate in live)
                session.Events.Append(certificate.VmId ?? certificate.UserId,
                    new CertificateRevoked(certificate.Id, RevocationReasons.Name(RevocationReason.CESSATION_OF_OPERATION), now));
            await session.SaveChangesAsync(ct);
            return live.Count;
        });
        if (revoked > 0) await crls.Publish(ct);
        return revoked;
    }

    private IDocumentSession Session()
    {
        var session = store.LightweightSession();
        session.LastModifiedBy = Actor;
        return session;
    }
}
