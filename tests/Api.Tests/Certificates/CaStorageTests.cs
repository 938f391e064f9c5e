using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Certificates;
using Conpaas.Api.Tests.Hosting;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>The CA on disk: made once at the first start, readable only by the Director, shared by the nodes that share its folder.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CaStorageTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    private static string NewFolder() => Directory.CreateTempSubdirectory("conpaas-ca-").FullName;

    private static CertificateAuthority Authority(string folder) =>
        new(folder, new CertificateOptions(), TimeProvider.System, NullLogger<CertificateAuthority>.Instance);

    [Fact]
    public void the_first_start_made_a_ca_whose_key_only_the_director_may_read()
    {
        var key = Path.Combine(app.CaFolder, "ca.key");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key));
        Assert.Equal(["ca.crt", "ca.key", "ca.lock"], Directory.GetFiles(app.CaFolder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task the_ca_is_an_ecdsa_p256_ca_for_certificates_and_crls()
    {
        using var ca = Pem(await app.CaPem());

        Assert.Equal(File.ReadAllText(Path.Combine(app.CaFolder, "ca.crt")), await app.CaPem());
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, ca.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        using var key = ca.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        Assert.True(ca.NotAfter > DateTime.UtcNow.AddYears(9));
    }

    [Fact]
    public async Task a_second_node_on_the_same_folder_uses_the_same_ca()
    {
        var caPem = await app.CaPem();
        await using var second = new CaNode(app.CaFolder);
        await second.InitializeAsync();

        Assert.Equal(caPem, await second.CaPem());
        var user = await second.NewUser();
        using var certificate = Pem((await user.Issue(Requester.P256().CsrPem)).S("certificatePem"));
        using var ca = Pem(caPem);
        AssertChainsTo(certificate, ca);
        Assert.True((await second.FetchCrl()).VerifiesWith(ca));
    }

    [Fact]
    public async Task nodes_starting_together_on_an_empty_folder_make_one_ca()
    {
        var folder = Path.Combine(NewFolder(), "shared"); // not there yet: the first node makes it
        var nodes = Enumerable.Range(0, 3).Select(_ => new CaNode(folder)).ToList();
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(async () => await n.InitializeAsync(), Ct)));

            var pems = await Task.WhenAll(nodes.Select(n => n.CaPem()));
            Assert.Single(pems.Distinct());
            Assert.Equal(["ca.crt", "ca.key", "ca.lock"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public async Task many_authorities_racing_on_one_folder_agree_on_one_ca()
    {
        var folder = NewFolder();
        try
        {
            using var start = new Barrier(16);
            var thumbprints = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
            {
                var ca = Authority(folder);
                start.SignalAndWait(Ct);
                return ca.Certificate.Thumbprint;
            }, Ct)));

            Assert.Single(thumbprints.Distinct());
            Assert.Equal(thumbprints[0], Authority(folder).Certificate.Thumbprint);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void a_key_that_others_may_read_is_refused_naming_the_setting()
    {
        var folder = NewFolder();
        try
        {
            _ = Authority(folder).Certificate;
            var key = Path.Combine(folder, "ca.key");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Authority(folder).Certificate);

            Assert.Contains("Certificates:CaDirectory", error.Message);
            Assert.Contains("0644", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task the_director_refuses_to_start_when_others_may_read_the_ca_key()
    {
        var folder = NewFolder();
        var database = await TestDatabase.CreateDatabase("certificates");
        try
        {
            _ = Authority(folder).Certificate;
            var key = Path.Combine(folder, "ca.key");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            await using var director = DirectorProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Director"] = database,
                ["Certificates__CaDirectory"] = folder,
            });

            var exitCode = await director.WaitForExit(TimeSpan.FromSeconds(60));

            Assert.True(exitCode is not null, $"still running after 60 s:\n{director.Logs}");
            Assert.Equal(2, exitCode);
            Assert.Contains("Certificates:CaDirectory", director.StandardError);
            Assert.Contains($"chmod 600 {key}", director.StandardError);
            Assert.False(director.Logs.Contains("   at "), $"a stack trace for an operator's mistake:\n{director.Logs}");
        }
        finally
        {
            await TestDatabase.DropDatabase(database);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void the_default_folder_is_under_the_home_folder_and_a_relative_one_under_the_content_root()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        Assert.Equal(Path.Combine(home, ".conpaas", "ca"), new CertificateOptions().ResolveDirectory("/srv/director"));
        Assert.Equal(Path.Combine(home, "my-ca"), new CertificateOptions { CaDirectory = "~/my-ca" }.ResolveDirectory("/srv/director"));
        Assert.Equal("/srv/director/ca", new CertificateOptions { CaDirectory = "ca" }.ResolveDirectory("/srv/director"));
        Assert.Equal("/etc/conpaas/ca", new CertificateOptions { CaDirectory = "/etc/conpaas/ca" }.ResolveDirectory("/srv/director"));
    }
}
