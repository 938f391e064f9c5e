using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vms;
using Xunit;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>The agent as a download and the user data that boots it (run for real by the ec2 end-to-end test).</summary>
public sealed class BootPathTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static BootContext Boot(string directorUrl, string? ca = null) =>
        new(Guid.CreateVersion7(), "conpaas-u0000abcd-a0000ef01-s1-helloworld-1", "AGENT", "node", "helloworld", "10.1.0.2", "10.1.0.0/16", [],
            null, directorUrl, "vm_secret'with\"quotes", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "key", ca);

    private const string CaPem = "-----BEGIN CERTIFICATE-----\nMIIBfakeCA\n-----END CERTIFICATE-----";

    [Fact]
    public async Task The_agent_is_served_without_a_credential_with_its_checksum()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        using var tarball = await http.GetAsync("/download/ConPaaS.tar.gz", Wait.Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, tarball.StatusCode);
        Assert.Equal("application/gzip", tarball.Content.Headers.ContentType?.MediaType);
        var bytes = await tarball.Content.ReadAsByteArrayAsync(Wait.Ct);
        var checksum = await http.GetStringAsync("/download/ConPaaS.tar.gz.sha256", Wait.Ct);
        Assert.Equal($"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  ConPaaS.tar.gz\n", checksum);

        var names = new List<string>();
        await using (var tar = new TarReader(new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)))
            while (await tar.GetNextEntryAsync(cancellationToken: Wait.Ct) is { } entry)
                names.Add(entry.Name);
        Assert.Equal(["ConPaaS/", "ConPaaS/VERSION", "ConPaaS/Conpaas.Agent.dll", "ConPaaS/Conpaas.Agent.runtimeconfig.json", "ConPaaS/Conpaas.Agent.deps.json"], names);

        // Deterministic: another Director node of this build packs the same bytes.
        Assert.Equal(checksum.Split(' ')[0], new AgentPackage().Get().Sha256);
    }

    [Fact]
    public async Task The_user_data_is_a_valid_shell_script_with_the_checksum_and_the_boot_context()
    {
        var boot = Boot("http://director.example:8080/");
        var script = UserData.Build(boot, AgentPackage.Director.Get());

        Assert.StartsWith("#!/bin/sh\n", script);
        Assert.Contains($"SHA256={AgentPackage.Director.Get().Sha256}\n", script);
        Assert.Contains("DIRECTOR='http://director.example:8080'\n", script);
        Assert.Contains("umask 077\n", script);
        Assert.Contains("chmod 600 boot.json\n", script);
        Assert.Contains(System.Text.Json.JsonSerializer.Serialize(boot, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)), script);
        Assert.DoesNotContain("CONPAAS_CA", script); // an http Director has no CA to trust
        await AssertValidShell(script);
    }

    [Fact]
    public async Task An_https_Director_s_CA_travels_in_the_user_data()
    {
        var script = UserData.Build(Boot("https://director.example", CaPem), AgentPackage.Director.Get());

        Assert.Contains("cat >\"$CA\" <<'CONPAAS_CA'\n" + CaPem + "\nCONPAAS_CA\n", script);
        Assert.Contains("--cacert \"$CA\"", script);
        await AssertValidShell(script);
    }

    [Fact]
    public void User_data_over_the_cloud_s_limit_is_refused_for_good()
    {
        var refused = Assert.Throws<CloudDriverException>(() => UserData.Build(Boot("http://d"), AgentPackage.Director.Get(), limitBytes: 1000));
        Assert.False(refused.Transient);
        Assert.Contains("more than the cloud's 1000", refused.Message);
        // A VM with a certificate, a key and the CA fits EC2's 16 KB with room to spare.
        Assert.True(UserData.Build(Boot("https://d", CaPem), AgentPackage.Director.Get()).Length < UserData.Ec2Limit / 2);
    }

    private static async Task AssertValidShell(string script)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, script, Wait.Ct);
            using var sh = Process.Start(new ProcessStartInfo("sh", ["-n", file]) { RedirectStandardError = true })!;
            var errors = await sh.StandardError.ReadToEndAsync(Wait.Ct);
            await sh.WaitForExitAsync(Wait.Ct);
            Assert.True(sh.ExitCode == 0, $"sh -n: {errors}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
