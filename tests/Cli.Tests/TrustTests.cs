using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Cli.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>A Director whose URL is https: it serves TLS with a certificate from its own CA, which no system trusts.</summary>
public sealed class HttpsDirector : DirectorApp
{
    public string CaFolder { get; } = Directory.CreateTempSubdirectory("conpaas-ca-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Director:Url"] = "https://127.0.0.1:5555",
        ["Certificates:CaDirectory"] = CaFolder,
    };

    protected override void StartKestrel() =>
        UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.UseHttps()));

    public string CaFile => Path.Combine(CaFolder, "ca.crt");

    /// <summary>What the operator reads out to users: the fingerprint `openssl x509 -fingerprint -sha256` prints.</summary>
    public string Fingerprint() =>
        string.Join(':', X509Certificate2.CreateFromPem(File.ReadAllText(CaFile)).GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(CaFolder, recursive: true);
    }
}

public sealed class TrustTests(HttpsDirector director) : IClassFixture<HttpsDirector>
{
    private string Url => director.BaseAddress.ToString();

    [Fact]
    public async Task an_https_director_whose_ca_is_not_trusted_is_refused_with_a_hint()
    {
        var shell = director.NewShell();

        var result = await shell.Fails(3, "its certificate is not trusted", "director", "version", "--director", Url);

        Assert.Contains("cps trust", result.Err);
    }

    [Fact]
    public async Task trust_without_a_fingerprint_shows_it_and_pins_nothing()
    {
        var shell = director.NewShell();

        var result = await shell.Fails(2, director.Fingerprint(), "trust", "--director", Url);

        Assert.Contains("cps trust --fingerprint", result.Err);
        Assert.False(File.Exists(Path.Combine(shell.ConfigDirectory, "cps.json")));
        await shell.Fails(3, "not trusted", "director", "version", "--director", Url);
    }

    [Fact]
    public async Task a_wrong_fingerprint_pins_nothing()
    {
        var shell = director.NewShell();
        var wrong = string.Join(':', Enumerable.Repeat("AB", 32));

        await shell.Fails(1, "error: The Director's CA has the SHA-256 fingerprint", "trust", "--director", Url, "--fingerprint", wrong);

        Assert.False(File.Exists(Path.Combine(shell.ConfigDirectory, "cps.json")));
    }

    [Fact]
    public async Task the_operators_fingerprint_pins_the_ca_and_every_command_then_works_over_https()
    {
        var shell = director.NewShell();
        var name = "u" + Guid.NewGuid().ToString("N")[..10];

        var pinned = await shell.Ok("trust", "--director", Url, "--fingerprint", director.Fingerprint().ToLowerInvariant().Replace(":", ""));
        Assert.Contains($"Pinned the CA", pinned.Out);
        await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);
        await shell.Ok("login", name, "--password", Cps.PasswordOf(name), "--director", Url);

        Assert.Equal(name, (await shell.Ok("whoami")).Field("username"));
        Assert.Contains("trustedCa", await File.ReadAllTextAsync(Path.Combine(shell.ConfigDirectory, "cps.json"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task a_ca_file_given_with_ca_is_trusted_without_pinning()
    {
        var shell = director.NewShell();

        var version = await shell.Ok("director", "version", "--director", Url, "--ca", director.CaFile);
        shell.Environment["CPS_CA"] = director.CaFile;
        var fromEnvironment = await shell.Ok("director", "version", "--director", Url);

        Assert.NotNull(version.Field("version"));
        Assert.NotNull(fromEnvironment.Field("version"));
    }
}
