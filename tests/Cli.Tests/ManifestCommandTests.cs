using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps app apply|export against the real Director, with the examples of examples/manifests.</summary>
public sealed class ManifestCommandTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    /// <summary>An example copied to a temporary file, with its application renamed.</summary>
    public static string Example(string file, string application)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "examples", "manifests", file)))!;
        manifest["Application"] = application;
        var path = Path.Combine(Directory.CreateTempSubdirectory("cps-manifest-").FullName, file);
        File.WriteAllText(path, manifest.ToJsonString());
        return path;
    }

    [Fact]
    public async Task apply_creates_then_reapplying_does_nothing_and_a_dry_run_shows_the_scaling()
    {
        var ann = await director.NewUser();
        var hello = Example("helloworld.json", "hello");

        var dry = await ann.Ok("app", "apply", "-f", hello, "--dry-run");
        Assert.StartsWith("Dry run: nothing was changed. Applying would:\n  CREATE_APPLICATION ", dry.Out);
        Assert.Equal("No existing applications.\n", (await ann.Ok("app", "list")).Out);

        var applied = await ann.Ok("app", "apply", "-f", hello);
        Assert.StartsWith("Applied (manifest ", applied.Out);
        Assert.Contains("  START_SERVICE      Start 'greeter' on cloud 'default' with node=1\n", applied.Out);
        Assert.Equal("Application 'hello' is as the manifest says: nothing to do\n", (await ann.Ok("app", "apply", "-f", hello)).Out);

        var steps = (await ann.Json("app", "apply", "-f", hello))["applyManifest"]!["steps"]!.AsArray();
        Assert.Empty(steps);
    }

    [Fact]
    public async Task export_prints_a_manifest_that_applies_with_no_change()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "apply", "-f", Example("php-mysql.json", "site"));
        var file = Path.Combine(Directory.CreateTempSubdirectory("cps-export-").FullName, "site.json");

        var printed = JsonNode.Parse((await ann.Ok("app", "export", "site")).Out)!;
        Assert.Equal(["web", "db"], printed["Services"]!.AsArray().Select(s => s!["ServiceName"]!.GetValue<string>()));
        await ann.Ok("app", "export", "site", "-o", file);
        Assert.Equal(printed.ToJsonString(), JsonNode.Parse(File.ReadAllText(file))!.ToJsonString());

        Assert.Equal("Application 'site' is as the manifest says: nothing to do\n", (await ann.Ok("app", "apply", "-f", file)).Out);
    }

    [Fact]
    public async Task a_file_that_is_not_json_is_refused_before_sending_and_a_bad_manifest_lists_every_problem()
    {
        var ann = await director.NewUser();
        var folder = Directory.CreateTempSubdirectory("cps-bad-").FullName;
        var notJson = Path.Combine(folder, "broken.json");
        File.WriteAllText(notJson, "{\"Application\": ");
        await ann.Fails(2, "error: broken.json is not valid JSON", "app", "apply", "-f", notJson);

        var bad = Path.Combine(folder, "bad.json");
        File.WriteAllText(bad, """{"Application": "x", "Services": [{"Type": "tomcat"}, {"Type": "php", "Dump": "db.sql"}]}""");
        // Past cps's own check against the schema (ManifestSchemaTests), the Director lists every problem too.
        var refused = await ann.Fails(1, "error: The manifest was not applied: $.Services[0].Type: Unknown service type 'tomcat'", "app", "apply", "-f", bad, "--no-validate");
        Assert.Contains("$.Services[1].Dump: 'Dump' is not supported by this Director yet", refused.Err);
        Assert.Equal("No existing applications.\n", (await ann.Ok("app", "list")).Out);
    }
}

/// <summary>apply --wait on a real local cloud (agent processes): it returns once the services are RUNNING.</summary>
public sealed class ManifestWaitCommandTests(LocalCloudApp director) : IClassFixture<LocalCloudApp>
{
    [Fact]
    public async Task apply_wait_returns_once_every_service_runs_and_a_scaled_manifest_adds_its_nodes()
    {
        var ann = await director.NewUser();
        var started = await ann.Ok("app", "apply", "-f", ManifestCommandTests.Example("helloworld.json", "hello"), "--wait", "--timeout", "120");
        Assert.EndsWith("Service 'greeter' is RUNNING\n", started.Out);

        var scaled = await ann.Json("app", "apply", "-f", ManifestCommandTests.Example("helloworld-scaled.json", "hello"), "--wait", "--timeout", "120");
        Assert.Equal("RUNNING", scaled["application"]!["services"]![0]!["state"]!.GetValue<string>());
        Assert.Equal(["manager", "node", "node", "node"], (await ann.Ok("vms", "-a", "hello")).Column("ROLE").Order());
    }
}
