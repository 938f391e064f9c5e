using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>The check verb (the installation guide's cpscheck.py) run on the built Director: a good set-up passes, each broken setting is named with its cause.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the CA key's mode is a Unix file mode
public sealed class CheckCommandTests : IAsyncLifetime
{
    private readonly List<DirectorProcess> _processes = [];
    private readonly string _ca = Path.Combine(Path.GetTempPath(), $"conpaas-check-ca-{Guid.NewGuid():N}");
    private string _database = "";

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateDatabase("check");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await TestDatabase.DropDatabase(_database);
        if (Directory.Exists(_ca)) Directory.Delete(_ca, recursive: true);
    }

    private async Task<DirectorProcess> Finished(IReadOnlyDictionary<string, string?>? settings, params string[] args)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Director"] = _database,
            ["Director__AutoMigrate"] = "false",
            ["Certificates__CaDirectory"] = _ca,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) environment[key] = value;
        var director = DirectorProcess.Start(environment, args);
        _processes.Add(director);
        Assert.True(await director.WaitForExit(TimeSpan.FromSeconds(90)) is not null, $"still running:\n{director.Logs}");
        return director;
    }

    private Task<DirectorProcess> Check(IReadOnlyDictionary<string, string?>? settings = null) => Finished(settings, "check");

    private static string Line(DirectorProcess check, string name) =>
        check.StandardOutput.Split('\n').SingleOrDefault(l => l.Length > 6 && l[6..].StartsWith(name + ":", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no line for {name}:\n{check.Logs}");

    /// <summary>An operator's own CA (as the README allows) in the CA folder, its key with the given mode; the key's path.</summary>
    private string WriteCa(UnixFileMode keyMode)
    {
        Directory.CreateDirectory(_ca);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        File.WriteAllText(Path.Combine(_ca, "ca.crt"), ca.ExportCertificatePem());
        var keyPath = Path.Combine(_ca, "ca.key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, keyMode);
        return keyPath;
    }

    [Fact]
    public async Task a_good_set_up_after_migrate_passes_and_json_lists_every_check()
    {
        await Finished(null, "migrate");

        var check = await Check();
        // With a CA, whose loading the host logs: the log goes to standard error, standard output stays JSON.
        WriteCa(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var json = await Finished(null, "check", "--json");

        Assert.True(check.ExitCode == 0, check.Logs);
        Assert.StartsWith("OK    database:", Line(check, "database"));
        Assert.StartsWith("OK    schema:", Line(check, "schema"));
        Assert.StartsWith("OK    clock:", Line(check, "clock"));
        Assert.StartsWith("OK    cloud 'default':", Line(check, "cloud 'default'"));
        Assert.DoesNotContain("ERROR", check.StandardOutput);
        Assert.Equal(0, json.ExitCode);
        var results = JsonDocument.Parse(json.StandardOutput).RootElement.EnumerateArray().ToList();
        Assert.Contains(results, r => r.GetProperty("name").GetString() == "schema" && r.GetProperty("status").GetString() == "OK");
        Assert.Contains(results, r => r.GetProperty("name").GetString() == "certificate authority" && r.GetProperty("status").GetString() == "OK");
        Assert.Contains("Certificate authority CN=Test CA loaded", json.StandardError);
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("cause").GetString())));
    }

    [Fact]
    public async Task a_schema_behind_is_an_error_naming_migrate_and_the_check_changes_nothing()
    {
        var check = await Check();
        var again = await Check();

        Assert.Equal(1, check.ExitCode);
        Assert.StartsWith("ERROR schema: the database schema of", Line(check, "schema"));
        Assert.Contains("run 'dotnet Conpaas.Api.dll migrate'", check.StandardOutput);
        Assert.StartsWith("ERROR schema:", Line(again, "schema"));
    }

    [Fact]
    public async Task a_ca_key_readable_by_others_is_an_error()
    {
        await Finished(null, "migrate");
        var keyPath = WriteCa((UnixFileMode)Convert.ToInt32("644", 8));

        var check = await Check();

        Assert.Equal(1, check.ExitCode);
        Assert.StartsWith("ERROR certificate authority:", Line(check, "certificate authority"));
        Assert.Contains("may be read by others (mode 0644)", check.StandardOutput);
        Assert.Contains($"chmod 600 {keyPath}", check.StandardOutput);
    }

    [Fact]
    public async Task an_https_url_whose_host_the_operators_certificate_is_not_for_is_an_error()
    {
        await Finished(null, "migrate");
        Directory.CreateDirectory(_ca);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=other.example.org", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("other.example.org");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificateFile = Path.Combine(_ca, "operator.crt");
        var keyFile = Path.Combine(_ca, "operator.key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var check = await Check(new Dictionary<string, string?>
        {
            ["Director__Url"] = "https://director.example.org:5555",
            ["Tls__CertificateFile"] = certificateFile,
            ["Tls__KeyFile"] = keyFile,
        });

        Assert.Equal(1, check.ExitCode);
        Assert.StartsWith("ERROR https certificate:", Line(check, "https certificate"));
        Assert.Contains("is for 'other.example.org', not for 'director.example.org'", check.StandardOutput);
    }

    [Fact]
    public async Task a_cloud_missing_a_key_is_an_error_naming_the_key_and_a_loopback_url_with_an_ec2_cloud_is_a_warning()
    {
        await Finished(null, "migrate");

        var check = await Check(new Dictionary<string, string?>
        {
            ["Director__Url"] = "http://127.0.0.1:5555",
            ["Clouds__ec2-eu__Driver"] = "ec2",
            ["Clouds__ec2-eu__Keys__USER"] = "AKIA",
        });

        Assert.Equal(1, check.ExitCode);
        Assert.StartsWith("ERROR cloud 'ec2-eu':", Line(check, "cloud 'ec2-eu'"));
        Assert.Contains("Missing ec2 config param PASSWORD for cloud 'ec2-eu'", check.StandardOutput);
        Assert.StartsWith("WARN  reachability: Director:Url http://127.0.0.1:5555/ is a loopback address", Line(check, "reachability"));
    }

    [Fact]
    public async Task a_bad_setting_is_reported_by_name_with_the_other_checks_instead_of_refusing()
    {
        await Finished(null, "migrate");

        var check = await Check(new Dictionary<string, string?> { ["Vpn__Netmask"] = "bogus" });

        Assert.Equal(1, check.ExitCode);
        Assert.StartsWith("ERROR settings: Vpn:Netmask 'bogus'", Line(check, "settings"));
        Assert.StartsWith("ERROR vpn: Vpn:Netmask 'bogus'", Line(check, "vpn"));
        Assert.StartsWith("OK    schema:", Line(check, "schema"));
    }
}
