using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>Every VM of the local cloud boots with a certificate of its own, revoked when the VM is gone.</summary>
public sealed class VmBootCertificateTests(LocalCloudApp app) : IClassFixture<LocalCloudApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_vm_boots_with_its_own_certificate_and_loses_it_when_it_is_gone()
    {
        var user = await app.NewUser();
        var appId = (await user.Ok("mutation { createApplication(name: \"a\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var service = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();
        await user.Ok("mutation($s: ID!) { startService(id: $s) { state } }", new { s = service });
        // Polled, not tracked: the service runs when the agent processes have booted and reported.
        var nodes = (await Wait.Until(async () => (await user.Ok("query($s: ID!) { service(id: $s) { state nodes { id name role } } }", new { s = service }))["service"]!,
            s => s["state"]!.GetValue<string>() == "RUNNING", Wait.Short, "the service RUNNING"))["nodes"]!.AsArray();

        var agent = nodes.Single(n => n!["role"]!.GetValue<string>() == "AGENT")!;
        var boot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app.CloudDirectory, agent["name"]!.GetValue<string>(), "boot.json"), Ct))!;
        using var certificate = X509Certificate2.CreateFromPem(boot["certificatePem"]!.GetValue<string>(), boot["privateKeyPem"]!.GetValue<string>());
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var ca = X509CertificateLoader.LoadCertificate(await http.GetByteArrayAsync("/ca/certificate", Ct));

        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(ca.Subject, certificate.Issuer);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().Format(false);
        Assert.Contains(agent["id"]!.GetValue<string>(), names);
        Assert.Contains(appId, names);
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        await user.Ok("mutation($s: ID!) { stopService(id: $s) { state } }", new { s = service });
        var serial = certificate.SerialNumber.TrimStart('0');
        // Polled: the certificate is revoked when the agent process is gone, which the local cloud sees after the fact.
        await Wait.Until(async () => Crl.Parse(await http.GetByteArrayAsync("/ca/crl", Ct)).Serials, serials => serials.Contains(serial), Wait.Short,
            $"the certificate {serial} on the CRL");
    }
}
