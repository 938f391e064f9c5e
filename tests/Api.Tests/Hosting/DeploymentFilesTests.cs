using System.Diagnostics;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// The deployment files (README "Running in production") cannot be run here (no Docker engine, no cluster, no systemd
/// as PID 1): they are checked against their schemas and for the properties the README promises.
/// </summary>
public sealed class DeploymentFilesTests
{
    [Fact]
    public async Task the_kubernetes_manifests_match_the_kubernetes_schemas()
    {
        var output = await NodeTools.Run("validate-k8s.mjs", ["kubernetes-models", "yaml"]);
        Assert.Contains("manifests valid", output);
    }

    [Fact]
    public async Task compose_runs_migrate_once_then_two_balanced_directors_sharing_the_ca_behind_one_proxy()
    {
        var compose = JsonNode.Parse(await NodeTools.Run("yaml-to-json.mjs", ["yaml"], Path.Combine(Repo.Root, "docker-compose.yml")))!;
        var services = compose["services"]!.AsObject();

        var migrate = services["migrate"]!;
        Assert.Equal(["migrate"], migrate["command"]!.AsArray().Select(a => (string?)a));
        var image = (string?)migrate["image"];

        var directors = services.Where(s => s.Key != "migrate" && (string?)s.Value!["image"] == image).ToList();
        Assert.Equal(2, directors.Count);
        foreach (var (name, director) in directors)
        {
            Assert.True((string?)director!["depends_on"]?["migrate"]?["condition"] == "service_completed_successfully",
                $"{name} does not wait for migrate to succeed");
            var environment = director["environment"]!;
            Assert.Equal("Balanced", (string?)environment["Director__DurabilityMode"]);
            Assert.Equal("false", (string?)environment["Director__AutoMigrate"]);
            Assert.Contains("ca:/var/lib/conpaas/ca", director["volumes"]!.AsArray().Select(v => (string?)v));
        }

        var proxy = services["proxy"]!;
        var config = proxy["volumes"]!.AsArray().Select(v => ((string)v!).Split(':')[0]).Single(v => v.EndsWith(".conf"));
        var nginx = await File.ReadAllTextAsync(Path.Combine(Repo.Root, config), TestContext.Current.CancellationToken);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", nginx);
        Assert.Contains("location /graphql", nginx);
    }

    [Fact]
    public async Task the_systemd_unit_migrates_first_runs_unprivileged_and_may_write_the_ca_and_the_local_cloud()
    {
        var path = Path.Combine(Repo.Root, "deploy", "systemd", "conpaas-director.service");
        var service = ParseUnit(await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken))["Service"];

        Assert.Equal(["conpaas"], service["User"]);
        Assert.Equal(["/etc/conpaas/director.env"], service["EnvironmentFile"]);
        Assert.EndsWith("Conpaas.Api.dll migrate", Assert.Single(service["ExecStartPre"]));
        Assert.EndsWith("Conpaas.Api.dll", Assert.Single(service["ExecStart"]));
        Assert.Equal(["on-failure"], service["Restart"]);
        Assert.Equal(["true"], service["NoNewPrivileges"]);
        Assert.Equal(["strict"], service["ProtectSystem"]);
        Assert.Equal(["true"], service["PrivateTmp"]);
        var writable = Assert.Single(service["ReadWritePaths"]).Split(' ');
        Assert.Contains("/var/lib/conpaas/ca", writable);
        Assert.Contains("/var/lib/conpaas/local-cloud", writable);

        // systemd's own parser too, where this machine has it.
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            var psi = new ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", path]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var verify = Process.Start(psi)!;
            var errors = await verify.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await verify.WaitForExitAsync(TestContext.Current.CancellationToken);
            // It exits 0 on an unknown or misspelt key, naming the file in a warning: that counts as a failure too.
            Assert.True(verify.ExitCode == 0 && !errors.Contains(path, StringComparison.Ordinal), $"systemd-analyze verify: {errors}");
        }
    }

    [Fact]
    public async Task the_image_runs_as_a_non_root_user_with_a_liveness_healthcheck()
    {
        var lines = (await File.ReadAllLinesAsync(Path.Combine(Repo.Root, "Dockerfile"), TestContext.Current.CancellationToken))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var finalStage = lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal));
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", lines[finalStage]);

        var user = lines.Skip(finalStage).Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Split(':')[0];
        Assert.DoesNotContain(user, new[] { "root", "0" });
        Assert.Contains(lines.Skip(finalStage), l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Contains(lines.Skip(finalStage), l => l.Contains("/health/live", StringComparison.Ordinal));
    }

    /// <summary>A unit file's sections, each key with its values in order (a key may repeat).</summary>
    private static Dictionary<string, Dictionary<string, List<string>>> ParseUnit(IEnumerable<string> lines)
    {
        var sections = new Dictionary<string, Dictionary<string, List<string>>>();
        Dictionary<string, List<string>>? section = null;
        foreach (var line in lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith(';')))
        {
            if (line.StartsWith('[')) sections[line.Trim('[', ']')] = section = [];
            else if (line.Split('=', 2) is [var key, var value] && section is not null)
                (section.TryGetValue(key, out var values) ? values : section[key] = []).Add(value);
        }

        return sections;
    }
}
