using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps cert: the key is made here, the Director signs, the files land in ~/.conpaas.</summary>
public sealed class CertificateTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task cert_new_writes_the_certificate_its_key_0600_and_the_ca_then_list_and_revoke_find_it()
    {
        var ann = await director.NewUser();
        var made = await ann.Ok("cert", "new");
        Assert.StartsWith("Certificate ", made.Out);

        string File(string name) => Path.Combine(ann.ConfigDirectory, name);
        using var certificate = X509Certificate2.CreateFromPemFile(File("cert.pem"), File("key.pem"));
        Assert.True(certificate.HasPrivateKey); // the key written here is the one the certificate certifies
        Assert.Contains($"CN={ann.Username}", certificate.Subject);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(File("key.pem")));
        using var ca = X509Certificate2.CreateFromPem(await System.IO.File.ReadAllTextAsync(File("ca_cert.pem"), TestContext.Current.CancellationToken));
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck } };
        Assert.True(chain.Build(certificate));

        var listed = await ann.Ok("cert", "list");
        Assert.Equal([certificate.SerialNumber], listed.Column("SERIAL"));
        Assert.Equal(["yes"], listed.Column("HERE"));
        Assert.Equal(["no"], listed.Column("REVOKED"));

        Assert.Equal($"Certificate {certificate.SerialNumber} revoked\n", (await ann.Ok("cert", "revoke", certificate.SerialNumber, "--reason", "key-compromise")).Out);
        var revoked = (await ann.Json("cert", "list"))["certificates"]![0]!;
        Assert.Equal("keyCompromise", revoked["revocationReason"]!.GetValue<string>());

        // Someone else's list is theirs alone, and they cannot revoke ann's.
        var bob = await director.NewUser();
        Assert.Equal("No certificates (cps cert new makes one).\n", (await bob.Ok("cert", "list")).Out);
        await bob.Fails(1, "(NOT_FOUND)", "cert", "revoke", certificate.SerialNumber);
    }

    [Fact]
    public async Task cert_ca_prints_the_directors_ca_certificate_alone_on_stdout()
    {
        var ann = await director.NewUser();
        var printed = await ann.Ok("cert", "ca");
        using var ca = X509Certificate2.CreateFromPem(printed.Out);
        Assert.Equal(printed.Out.Trim(), ca.ExportCertificatePem().Trim());
        Assert.Contains(string.Join(':', ca.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2"))), printed.Err);
    }

    [Fact]
    public async Task cert_new_without_a_session_asks_to_log_in_and_writes_nothing()
    {
        var stranger = director.NewShell();
        var refused = await stranger.Fails(1, "(UNAUTHENTICATED)", "cert", "new", "--director", director.BaseAddress.ToString());
        Assert.Contains("hint: sign in with 'cps login USER'", refused.Err);
        Assert.False(File.Exists(Path.Combine(stranger.ConfigDirectory, "key.pem")));
    }
}
