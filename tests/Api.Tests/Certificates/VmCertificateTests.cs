using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Certificates;
using Conpaas.Api.Tests.History;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>A VM's own certificate (for its boot context): its role and application, the VM's stream, revoked when it ends.</summary>
public sealed class VmCertificateTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    [Fact]
    public async Task a_vm_gets_a_certificate_of_its_role_and_application_recorded_on_its_own_stream()
    {
        var user = await app.NewUser();
        var owner = Guid.Parse(await user.MyId());
        var vm = new Vm
        {
            Id = Guid.CreateVersion7(), OwnerId = owner, ApplicationId = Guid.CreateVersion7(), ServiceId = Guid.CreateVersion7(),
            Name = "conpaas-u1-a1-s1-helloworld-4f2a", Role = VmRole.AGENT, ServiceType = "helloworld", Cloud = "default",
        };
        await Requested(vm);
        var certificates = app.Services.GetRequiredService<VmCertificates>();

        var issued = await certificates.IssueVmCertificate(vm, Ct);

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        using var ca = Pem(issued.CaCertificatePem);
        AssertChainsTo(certificate, ca, ClientAuth);
        AssertChainsTo(certificate, ca, "1.3.6.1.5.5.7.3.1");
        Assert.Equal([("2.5.4.10", "ConPaaS"), ("2.5.4.11", "agent"), ("2.5.4.3", vm.Name), (UidOid, owner.ToString())], Attributes(certificate.SubjectName));
        var altNames = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().Format(false);
        Assert.Contains($"urn:conpaas:application:{vm.ApplicationId}", altNames);
        Assert.Contains($"urn:conpaas:vm:{vm.Id}", altNames);
        using (var key = certificate.GetECDsaPrivateKey()) Assert.Equal(256, key!.KeySize);

        Assert.DoesNotContain(await user.History(owner.ToString()), e => e.Type() == "CertificateIssued");
        var recorded = (await user.History(vm.Id.ToString())).Single(e => e.Type() == "CertificateIssued");
        Assert.Equal("system", recorded.S("actor"));
        Assert.Equal("agent", recorded["data"].S("role"));
        Assert.Equal(vm.Id.ToString(), recorded["data"].S("vmId"));
        Assert.Equal(issued.Serial, recorded["data"].S("serial"));

        // Its owner may revoke it like any of their certificates; when the VM ends the Director revokes what is left.
        Assert.Equal(1, await certificates.RevokeVmCertificates(vm.Id, Ct));
        Assert.Equal(0, await certificates.RevokeVmCertificates(vm.Id, Ct));
        var entry = Assert.Single((await app.FetchCrl()).Entries, e => e.Serial == issued.Serial);
        Assert.Equal(X509RevocationReason.CessationOfOperation, entry.Reason);
        Assert.True(await user.Revoke(issued.Serial));
        Assert.Equal(["VmRequested", "CertificateIssued", "CertificateRevoked"], (await user.History(vm.Id.ToString())).Select(e => e.Type()));
    }

    /// <summary>The VM's stream, as a start or scale-out begins it.</summary>
    private async Task Requested(Vm vm)
    {
        await using var session = app.Services.GetRequiredService<Marten.IDocumentStore>().LightweightSession();
        session.Events.StartStream<Vm>(vm.Id, new VmRequested(vm.Id, vm.ServiceId, vm.ApplicationId, vm.OwnerId, vm.Name, vm.Cloud,
            vm.Role, vm.Role == VmRole.MANAGER ? null : "node", vm.ServiceType, "172.16.0.2", DateTimeOffset.UtcNow));
        await session.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task a_manager_vm_gets_a_manager_certificate()
    {
        var user = await app.NewUser();
        var vm = new Vm
        {
            Id = Guid.CreateVersion7(), OwnerId = Guid.Parse(await user.MyId()), ApplicationId = Guid.CreateVersion7(),
            Name = "conpaas-u1-a1-s1-manager", Role = VmRole.MANAGER, ServiceType = "helloworld", Cloud = "default",
        };

        await Requested(vm);
        var issued = await app.Services.GetRequiredService<VmCertificates>().IssueVmCertificate(vm, Ct);

        using var certificate = Pem(issued.CertificatePem);
        Assert.Contains(("2.5.4.11", "manager"), Attributes(certificate.SubjectName));
        using var key = ECDsa.Create();
        key.ImportFromPem(issued.PrivateKeyPem);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }
}
