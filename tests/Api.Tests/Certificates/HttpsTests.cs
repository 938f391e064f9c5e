using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;
using Conpaas.Api.Tests.CloudAgents;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>A Director whose public URL is https: it serves TLS itself, with a certificate its own CA issued.</summary>
public class HttpsApp : CertificateApp
{
    public HttpsApp()
    {
    }

    protected HttpsApp(string caFolder) : base(caFolder, ownsFolder: false)
    {
    }

    protected virtual string Host => "127.0.0.1";

    /// <summary>HTTPS on a free loopback port, with the certificate the Director chooses (its ConfigureHttpsDefaults).</summary>
    protected override void StartKestrel() =>
        UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.UseHttps()));

    protected override IReadOnlyDictionary<string, string?> CertificateSettings => new Dictionary<string, string?>
    {
        ["Director:Url"] = $"https://{Host}:5555",
    };

    /// <summary>A client that trusts the Director's CA and nothing else, as `curl --cacert ca.crt` does.</summary>
    public override HttpClient Http() => Trusting(File.ReadAllText(Path.Combine(CaFolder, "ca.crt")));

    public HttpClient Trusting(string caPem, Action<X509Certificate2>? seen = null, DateTimeOffset? at = null) =>
        Trusting(BaseAddress, caPem, seen, at);

    public static HttpClient Trusting(Uri baseAddress, string caPem, Action<X509Certificate2>? seen = null, DateTimeOffset? at = null)
    {
        var ca = X509Certificate2.CreateFromPem(caPem);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                    VerificationTime = (at ?? DateTimeOffset.UtcNow).UtcDateTime,
                    VerificationTimeIgnored = false,
                },
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is not null) seen?.Invoke(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                    return errors == SslPolicyErrors.None;
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }
}

/// <summary>The second node of an HTTPS Director: it shares the first node's CA folder and database.</summary>
public sealed class SecondHttpsNode(string caFolder, string connectionString) : HttpsApp(caFolder)
{
    protected override Task<string> Database() => Task.FromResult(connectionString);
    protected override bool OwnsDatabase => false;
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HttpsTests(HttpsApp app) : IClassFixture<HttpsApp>
{
    private string ServerCertificatePath => Path.Combine(app.CaFolder, ServerCertificates.File);

    [Fact]
    public async Task a_client_that_trusts_the_directors_ca_gets_answers_over_https()
    {
        X509Certificate2? served = null;
        using var http = app.Trusting(File.ReadAllText(Path.Combine(app.CaFolder, "ca.crt")), c => served = c);

        Assert.Equal("https", app.BaseAddress.Scheme);
        Assert.Equal("Healthy", await http.GetStringAsync("/health", Ct));
        var answer = await app.Client().Ok("{ serviceTypes { name } }");
        Assert.Contains("helloworld", answer.ToJsonString());
        Assert.NotNull(served);
        using var stored = X509Certificate2.CreateFromPemFile(ServerCertificatePath);
        Assert.Equal(stored.Thumbprint, served!.Thumbprint);
    }

    [Fact]
    public async Task a_client_that_does_not_trust_the_ca_is_refused_the_handshake()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("/health", Ct));
        Assert.IsType<AuthenticationException>(error.InnerException);
    }

    [Fact]
    public void the_certificate_names_the_host_of_the_director_url_and_its_key_is_the_directors_alone()
    {
        using var certificate = X509Certificate2.CreateFromPemFile(ServerCertificatePath);

        Assert.Equal("127.0.0.1", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Contains("OU=frontend", certificate.Subject);
        Assert.True(certificate.MatchesHostname("127.0.0.1"));
        Assert.False(certificate.MatchesHostname("localhost"));
        Assert.Contains(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(),
            o => o.Value == CertificateProfiles.ServerAuthOid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ServerCertificatePath));
        Assert.Contains("-----BEGIN PRIVATE KEY-----", File.ReadAllText(ServerCertificatePath));
    }

    [Fact]
    public async Task a_second_node_sharing_the_ca_folder_serves_the_same_certificate()
    {
        await using var second = new SecondHttpsNode(app.CaFolder, app.ConnectionString);
        await second.InitializeAsync();
        X509Certificate2? served = null;
        using var http = second.Trusting(await File.ReadAllTextAsync(Path.Combine(app.CaFolder, "ca.crt"), Ct), c => served = c);

        Assert.Equal("Healthy", await http.GetStringAsync("/health", Ct));
        using var first = X509Certificate2.CreateFromPemFile(ServerCertificatePath);
        Assert.Equal(first.SerialNumber, served!.SerialNumber);
    }

    [Fact]
    public void operator_settings_that_do_not_go_together_are_refused_by_name()
    {
        var validator = new TlsOptionsValidator();

        var half = validator.Validate(null, new TlsOptions { CertificateFile = "/etc/ssl/director.pem" });
        var missing = validator.Validate(null, new TlsOptions { CertificateFile = "/nonexistent/cert.pem", KeyFile = "/nonexistent/key.pem" });
        var renewal = validator.Validate(null, new TlsOptions { RenewBefore = TimeSpan.Zero });

        Assert.Contains("Tls:CertificateFile and Tls:KeyFile go together", half.FailureMessage);
        Assert.Contains("Tls:CertificateFile '/nonexistent/cert.pem' does not exist", missing.FailureMessage);
        Assert.Contains("Tls:KeyFile '/nonexistent/key.pem' does not exist", missing.FailureMessage);
        Assert.Contains("Tls:RenewBefore", renewal.FailureMessage);
    }
}

/// <summary>The same CA folder, a Director URL with another host: the stored certificate is for the wrong name, so a new one is issued.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HttpsHostChangeTests
{
    private sealed class LocalhostNode(string caFolder) : HttpsApp(caFolder)
    {
        protected override string Host => "localhost";
    }

    [Fact]
    public async Task moving_the_director_to_another_host_name_issues_a_certificate_for_that_name()
    {
        await using var first = new HttpsApp();
        await first.InitializeAsync();
        await using var moved = new LocalhostNode(first.CaFolder);
        await moved.InitializeAsync();

        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(first.CaFolder, ServerCertificates.File));
        Assert.True(certificate.MatchesHostname("localhost"));
        Assert.Equal("localhost", certificate.GetNameInfo(X509NameType.SimpleName, false));
    }
}

/// <summary>Its own Director: the test moves the host's clock a year on.</summary>
public sealed class HttpsRenewalTests(HttpsApp app) : IClassFixture<HttpsApp>
{
    [Fact]
    public async Task a_certificate_near_its_end_is_renewed_in_place_and_served_without_a_restart()
    {
        var certificates = app.Services.GetRequiredService<ServerCertificates>();
        var before = certificates.Current;
        var renewBefore = app.Services.GetRequiredService<IOptions<TlsOptions>>().Value.RenewBefore;

        app.Clock.Advance(new DateTimeOffset(before.NotAfter) - app.Clock.GetUtcNow() - renewBefore + TimeSpan.FromHours(1));
        var after = certificates.Refresh();

        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.True(after.NotAfter > before.NotAfter);
        X509Certificate2? served = null;
        using var http = app.Trusting(await File.ReadAllTextAsync(Path.Combine(app.CaFolder, "ca.crt"), Ct), c => served = c, app.Clock.GetUtcNow());
        Assert.Equal("Healthy", await http.GetStringAsync("/health", Ct));
        Assert.Equal(after.SerialNumber, served!.SerialNumber);
    }
}

/// <summary>The local cloud behind an HTTPS Director whose URL is the port it really listens on, so agents can call it.</summary>
public sealed class HttpsLocalCloud : Infrastructure.LocalCloudApp
{
    private readonly int _port = FreePort();
    public string CaFolder { get; } = Directory.CreateTempSubdirectory("conpaas-ca-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Director:Url"] = $"https://127.0.0.1:{_port}",
        ["Certificates:CaDirectory"] = CaFolder,
    };

    protected override void StartKestrel() =>
        UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, _port, listen => listen.UseHttps()));

    public override HttpClient Http() => HttpsApp.Trusting(BaseAddress, File.ReadAllText(Path.Combine(CaFolder, "ca.crt")));

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(CaFolder, recursive: true);
    }
}

[Collection(CloudAgents.RealProcesses.Name)]
public sealed class HttpsAgentTests(HttpsLocalCloud app) : IClassFixture<HttpsLocalCloud>
{
    [Fact]
    public async Task agents_report_to_an_https_director_trusting_its_ca_from_their_boot_context()
    {
        var user = await CloudAgents.CloudUser.New(app);
        var id = await user.AddService(await user.CreateApplication());
        await user.Start(id);
        var running = await user.WaitFor(id, "RUNNING");

        foreach (var node in running.LiveNodes())
        {
            var log = Path.Combine(app.CloudDirectory, node.Str("name"), "agent.log");
            await Wait.Eventually(() => File.Exists(log) && File.ReadAllText(log).Contains("the Director answered 200"),
                Wait.Short, $"{node.Str("name")} reported to the Director over https: {(File.Exists(log) ? File.ReadAllText(log) : "no log")}");
        }
    }
}
