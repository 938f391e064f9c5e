using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Files;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Manifests;

/// <summary>applyManifest and manifest(applicationId) against the real host: idempotent, converging, atomic, all problems at once.</summary>
/// <remarks>A Director with a content folder of its own: manifests name uploaded files.</remarks>
public sealed class ManifestTests(FilesApp app) : IClassFixture<FilesApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public const string Apply =
        "mutation($m: JSON!, $d: Boolean) { applyManifest(manifest: $m, dryRun: $d) { digest dryRun steps { action path service description } " +
        "application { id name services { id name type state nodeCounts { role count } } } } }";

    /// <summary>An example of examples/manifests, with its application renamed so that tests do not share it.</summary>
    public static JsonObject Example(string file, string? application = null)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "examples", "manifests", file)))!.AsObject();
        if (application is not null) manifest["Application"] = application;
        return manifest;
    }

    private static string Name() => "site-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<long> Events()
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync(Ct);
    }

    private static async Task<JsonNode> Applied(ServiceScenario user, JsonNode manifest, bool dryRun = false) =>
        (await user.Client.Ok(Apply, new { m = manifest, d = dryRun }))["applyManifest"]!;

    private static List<string> Actions(JsonNode result) => result.Items("steps").Select(s => s.Str("action")).ToList();

    private const string ServiceFiles = "query($s: ID!) { serviceFiles(serviceId: $s) { kind fileId name } }";

    [Fact]
    public async Task applying_the_same_manifest_twice_changes_nothing_the_second_time()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var script = (await user.Client.Upload("echo hello\n"u8.ToArray(), "start.sh"))!;
        var archive = (await user.Client.Upload(Uploads.RandomBytes(100), "code.zip"))!;
        var manifest = Example("helloworld.json", Name());
        // A file by its name (the owner's only file of that name) or by its id.
        manifest["Services"]![0]!["StartupScript"] = "start.sh";
        manifest["Services"]![0]!["Archive"] = archive.Str("id");

        var first = await Applied(user, manifest);
        Assert.Equal(["CREATE_APPLICATION", "ADD_SERVICE", "SET_SERVICE_FILE", "SET_SERVICE_FILE", "START_SERVICE"], Actions(first));
        var service = Assert.Single(first["application"]!.Items("services"));
        Assert.Equal(("greeter", "PROLOGUE"), (service.Str("name"), service.Str("state")));
        var files = (await user.Client.Ok(ServiceFiles, new { s = service.Str("id") }))["serviceFiles"]!.AsArray();
        Assert.Equal([("STARTUP_SCRIPT", script.Str("id")), ("ARCHIVE", archive.Str("id"))], files.Select(f => (f!.Str("kind"), f!.Str("fileId"))));

        var before = await Events();
        var second = await Applied(user, manifest);
        Assert.Empty(second.Items("steps"));
        Assert.Equal(first.Str("digest"), second.Str("digest"));
        Assert.Equal(before, await Events());

        // Once its VMs are up, the same manifest still has nothing to do.
        await user.BootAll(service.Str("id"));
        var booted = await Events();
        Assert.Empty((await Applied(user, manifest)).Items("steps"));
        Assert.Equal(booted, await Events());

        // Another file converges: one step, as setServiceFile records it.
        var newer = (await user.Client.Upload("echo newer\n"u8.ToArray(), "start-2.sh"))!;
        var uploaded = await Events();
        manifest["Services"]![0]!["StartupScript"] = "start-2.sh";
        var changed = await Applied(user, manifest);
        var step = Assert.Single(changed.Items("steps"));
        Assert.Equal(("SET_SERVICE_FILE", "$.Services[0].StartupScript"), (step.Str("action"), step.Str("path")));
        Assert.Equal(uploaded + 1, await Events());
        Assert.Contains((await user.Client.Ok(ServiceFiles, new { s = service.Str("id") }))["serviceFiles"]!.AsArray(),
            f => f!.Str("kind") == "STARTUP_SCRIPT" && f!.Str("fileId") == newer.Str("id"));
        Assert.Empty((await Applied(user, manifest)).Items("steps"));
        Assert.Equal(uploaded + 1, await Events());
    }

    [Fact]
    public async Task an_unknown_file_an_ambiguous_name_and_a_url_are_refused_with_their_paths_and_nothing_is_written()
    {
        var user = await ServiceScenario.ForNewUser(app);
        await user.Client.Upload("echo one\n"u8.ToArray(), "twice.sh");
        var second = await user.Client.Upload("echo two\n"u8.ToArray(), "twice.sh");
        var stranger = await ServiceScenario.ForNewUser(app);
        var theirs = await stranger.Client.Upload("echo theirs\n"u8.ToArray(), "theirs.sh");
        var before = await Events();
        var manifest = new JsonObject
        {
            ["Application"] = Name(),
            ["Services"] = new JsonArray(
                new JsonObject { ["Type"] = "helloworld", ["ServiceName"] = "a", ["StartupScript"] = "twice.sh", ["Archive"] = "missing.tar.gz" },
                new JsonObject { ["Type"] = "helloworld", ["ServiceName"] = "b", ["StartupScript"] = theirs.Str("id") }),
        };

        var error = await user.Client.Fails("INVALID_INPUT", Apply, new { m = manifest });

        var problems = error["extensions"]!["problems"]!.AsArray().Select(p => (p!.Str("path"), p!.Str("code"))).ToList();
        Assert.Equal([("$.Services[0].StartupScript", "INVALID_INPUT"), ("$.Services[0].Archive", "NOT_FOUND"), ("$.Services[1].StartupScript", "NOT_FOUND")],
            problems);
        Assert.Contains("ambiguous, use the id", error["extensions"]!["problems"]![0]!.Str("message"));
        Assert.Equal(before, await Events());

        // The id settles it; someone else's file is not found whatever the caller knows of it.
        manifest["Services"]![0]!["StartupScript"] = second.Str("id");
        manifest["Services"]![0]!.AsObject().Remove("Archive");
        manifest["Services"]!.AsArray().RemoveAt(1);
        Assert.Equal(["CREATE_APPLICATION", "ADD_SERVICE", "SET_SERVICE_FILE"], Actions(await Applied(user, manifest)));
    }

    [Fact]
    public async Task editing_the_counts_scales_the_service_up_and_down()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var name = Name();
        var serviceId = Assert.Single((await Applied(user, Example("helloworld.json", name)))["application"]!.Items("services")).Str("id");
        await user.BootAll(serviceId);

        var up = await Applied(user, Example("helloworld-scaled.json", name));
        var step = Assert.Single(up.Items("steps"));
        Assert.Equal(("ADD_NODES", "$.Services[0].StartupInstances", "Add 2 node nodes to 'greeter'"),
            (step.Str("action"), step.Str("path"), step.Str("description")));
        Assert.Equal(3, (await user.Service(serviceId)).Desired("node"));

        // While the new nodes boot, the same manifest has nothing to do; a different count must wait for RUNNING.
        Assert.Empty((await Applied(user, Example("helloworld-scaled.json", name))).Items("steps"));
        var down = Example("helloworld-scaled.json", name);
        down["Services"]![0]!["StartupInstances"]!["node"] = 1;
        var wait = await user.Client.Fails("INVALID_INPUT", Apply, new { m = down });
        Assert.Equal("CONFLICT", wait["extensions"]!["problems"]![0]!["code"]!.GetValue<string>());

        await user.BootAll(serviceId);
        var result = await Applied(user, down);
        Assert.Equal(["REMOVE_NODES"], Actions(result));
        Assert.Equal(1, (await user.Service(serviceId)).Desired("node"));
    }

    [Fact]
    public async Task the_same_new_manifest_applied_twice_at_once_makes_one_application()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var manifest = Example("helloworld.json", Name());

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Applied(user, manifest)));

        Assert.Single((await user.Client.Ok(Ops.Applications))["applications"]!.AsArray());
        Assert.Single(results, r => r.Items("steps").Count > 0);
        Assert.Single(results.Select(r => r["application"]!.Str("id")).Distinct());
    }

    [Fact]
    public async Task a_dry_run_answers_the_plan_and_writes_nothing()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var before = await Events();

        var plan = await Applied(user, Example("php-mysql.json", Name()), dryRun: true);

        Assert.True(plan["dryRun"]!.GetValue<bool>());
        Assert.Null(plan["application"]);
        Assert.Equal(["CREATE_APPLICATION", "ADD_SERVICE", "START_SERVICE", "ADD_SERVICE", "START_SERVICE"], Actions(plan));
        Assert.Equal("Start 'web' on cloud 'default' with backend=2, web=1, proxy=1", plan.Items("steps")[2].Str("description"));
        Assert.Equal(before, await Events());
        Assert.Empty((await user.Client.Ok(Ops.Applications))["applications"]!.AsArray());
    }

    [Fact]
    public async Task the_php_and_mysql_example_starts_every_node_it_asks_for_in_one_transaction()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var result = await Applied(user, Example("php-mysql.json", Name()));

        var services = result["application"]!.Items("services");
        Assert.Equal(["web", "db"], services.Select(s => s.Str("name")));
        var web = await user.BootAll(services[0].Str("id"));
        Assert.Equal("RUNNING", web.Str("state"));
        Assert.Equal((2, 1, 1), (web.Desired("backend"), web.Desired("web"), web.Desired("proxy")));
        Assert.Equal(4, web.LiveAgents().Count);
    }

    [Fact]
    public async Task a_bad_manifest_is_refused_with_every_problem_and_nothing_is_created()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var before = await Events();
        var manifest = new JsonObject
        {
            ["Services"] = new JsonArray(
                new JsonObject { ["ServiceName"] = "no type" },
                new JsonObject { ["Type"] = "tomcat" },
                new JsonObject { ["Type"] = "php", ["Password"] = "s3cret", ["StartupScript"] = "http://example.org/setup.sh", ["StartupInstances"] = new JsonObject { ["db"] = 1 } }),
        };

        var error = await user.Client.Fails("INVALID_INPUT", Apply, new { m = manifest });

        var problems = error["extensions"]!["problems"]!.AsArray().Select(p => (p!.Str("path"), p!.Str("code"))).ToList();
        Assert.Equal(
        [
            ("$.Application", "INVALID_INPUT"),
            ("$.Services[0].Type", "INVALID_INPUT"),
            ("$.Services[1].Type", "UNKNOWN_SERVICE_TYPE"),
            ("$.Services[2].Password", "INVALID_INPUT"),
            ("$.Services[2].StartupInstances.db", "INVALID_INPUT"),
            ("$.Services[2].StartupScript", "INVALID_INPUT"),
        ], problems);
        Assert.Contains("'Password' is not supported", error["extensions"]!["problems"]![3]!.Str("message"));
        // The original's URL: the Director fetches none, and says what to do instead.
        Assert.Contains("Upload the file first", error["extensions"]!["problems"]![5]!.Str("message"));
        Assert.Equal(before, await Events());
    }

    [Fact]
    public async Task manifest_text_that_is_not_json_is_refused_at_its_root()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var error = await user.Client.Fails("INVALID_INPUT", Apply, new { m = "{\"Application\": \"x\", " });

        var problem = Assert.Single(error["extensions"]!["problems"]!.AsArray())!;
        Assert.Equal("$", problem.Str("path"));
        Assert.StartsWith("The manifest is not valid JSON", problem.Str("message"));
    }

    [Fact]
    public async Task an_unknown_cloud_and_too_little_credit_are_found_before_anything_is_created()
    {
        var user = await ServiceScenario.ForNewUser(app, credit: 3);
        var before = await Events();
        var manifest = Example("php-mysql.json", Name());
        manifest["Services"]![1]!["Cloud"] = "nowhere";

        var error = await user.Client.Fails("INVALID_INPUT", Apply, new { m = manifest });

        var problems = error["extensions"]!["problems"]!.AsArray().Select(p => (p!.Str("path"), p!.Str("code"))).ToList();
        Assert.Contains(("$.Services[1].Cloud", "UNKNOWN_CLOUD"), problems);
        Assert.Contains(("$", "INSUFFICIENT_CREDIT"), problems);
        Assert.Equal(before, await Events());
        Assert.Empty((await user.Client.Ok(Ops.Applications))["applications"]!.AsArray());
    }

    [Fact]
    public async Task an_export_reapplies_to_the_same_state_and_reading_it_writes_nothing()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var result = await Applied(user, Example("php-mysql.json", Name()));
        var appId = result["application"]!.Str("id");
        foreach (var s in result["application"]!.Items("services")) await user.BootAll(s.Str("id"));
        var stopped = (await user.AddService(appId, "helloworld", "idle")).Str("id");
        var script = await user.Client.Upload("echo idle\n"u8.ToArray(), "idle.sh");
        await user.Client.Ok("mutation($s: ID!, $f: ID!) { setServiceFile(serviceId: $s, kind: STARTUP_SCRIPT, fileId: $f) { kind } }",
            new { s = stopped, f = script.Str("id") });

        var before = await Events();
        var exported = (await user.Client.Ok("query($id: ID!) { manifest(applicationId: $id) }", new { id = appId }))["manifest"]!;
        Assert.Equal(before, await Events());
        Assert.Equal(3, exported["Services"]!.AsArray().Count);
        Assert.False(exported["Services"]![2]!["Start"]!.GetValue<bool>());
        // Files by id: a name may become ambiguous once another file has it.
        Assert.Equal(script.Str("id"), exported["Services"]![2]!.Str("StartupScript"));
        Assert.Null(exported["Services"]![0]!["StartupScript"]);

        Assert.Empty((await Applied(user, exported)).Items("steps"));
        Assert.Equal(before, await Events());

        // The ids say which service is meant: a new name is a rename, not another service.
        exported["Services"]![2]!["ServiceName"] = "renamed";
        var renamed = await Applied(user, exported);
        Assert.Equal(["RENAME_SERVICE"], Actions(renamed));
        Assert.Equal("renamed", (await user.Service(stopped)).Str("name"));
    }

    [Fact]
    public async Task a_service_left_out_is_removed_only_with_prune()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var name = Name();
        var both = Example("php-mysql.json", name);
        foreach (var s in both["Services"]!.AsArray()) s!.AsObject().Remove("Start");
        await Applied(user, both);

        var webOnly = new JsonObject { ["Application"] = name, ["Services"] = new JsonArray(both["Services"]![0]!.DeepClone()) };
        Assert.Empty((await Applied(user, webOnly)).Items("steps"));

        webOnly["prune"] = true;
        var pruned = await Applied(user, webOnly);
        var step = Assert.Single(pruned.Items("steps"));
        Assert.Equal(("REMOVE_SERVICE", "db"), (step.Str("action"), step.Str("service")));
        Assert.Equal(["web"], pruned["application"]!.Items("services").Select(s => s.Str("name")));
    }

    [Fact]
    public async Task every_event_of_an_apply_carries_the_manifests_digest_in_the_history()
    {
        var user = await ServiceScenario.ForNewUser(app);
        await user.Client.Upload("echo hello\n"u8.ToArray(), "start.sh");
        var manifest = Example("helloworld.json", Name());
        manifest["Services"]![0]!["StartupScript"] = "start.sh";
        var result = await Applied(user, manifest);
        var serviceId = Assert.Single(result["application"]!.Items("services")).Str("id");

        var history = (await user.Client.Ok("query($id: ID!) { history(entityId: $id) { events { type manifestDigest } } }", new { id = serviceId }))
            ["history"]!.Items("events");

        Assert.Equal(["ServiceAdded", "ServiceFileSet", "ServiceStartRequested", "NodesRequested"], history.Select(e => e.Str("type")));
        Assert.All(history, e => Assert.Equal(result.Str("digest"), e.Str("manifestDigest")));
        Assert.Matches("^[0-9a-f]{64}$", result.Str("digest"));
    }
}

/// <summary>The manifests' JSON Schema: served, true to the catalogue, and a real validator agrees with it on the examples.</summary>
public sealed class ManifestJsonSchemaTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static string SchemaFile => Path.Combine(Repo.Root, "docs", "contract", "manifest.schema.json");

    [Fact]
    public async Task the_schema_is_served_as_it_is_in_the_contract()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var response = await http.GetAsync("/manifest.schema.json", TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(File.ReadAllText(SchemaFile), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void the_schema_names_the_catalogues_types_and_roles_and_the_refused_keys()
    {
        var service = JsonNode.Parse(File.ReadAllText(SchemaFile))!["$defs"]!["service"]!;
        Assert.Equal(Domain.Catalogue.ServiceTypes.All.Select(t => t.Name), service["properties"]!["Type"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        var roles = service["allOf"]!.AsArray().ToDictionary(
            a => a!["if"]!["properties"]!["Type"]!["const"]!.GetValue<string>(),
            a => a!["then"]!["properties"]!["StartupInstances"]!["propertyNames"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()).ToList());
        Assert.Equal(Domain.Catalogue.ServiceTypes.All.ToDictionary(t => t.Name, t => t.Roles.Select(r => r.Name).ToList()), roles);
        Assert.All(Domain.Manifests.ManifestParser.NotSupported.Keys, key => Assert.NotNull(service["properties"]![key]!["not"]));
    }

    [Fact]
    public async Task ajv_finds_the_examples_valid_and_the_bad_manifests_invalid()
    {
        var examples = Directory.GetFiles(Path.Combine(Repo.Root, "examples", "manifests"), "*.json").Order()
            .Select(f => Path.GetRelativePath(Repo.Root, f)).ToList();
        var invalid = Directory.GetFiles(Path.Combine(Repo.Root, "tests", "Api.Tests", "Manifests", "Invalid"), "*.json").Order()
            .Select(f => Path.GetRelativePath(Repo.Root, f)).ToList();
        Assert.Equal(4, examples.Count);

        var output = await NodeTools.Run("validate-manifests.mjs", ["ajv"], [.. examples, "--invalid", .. invalid]);

        Assert.Equal(examples.Count + invalid.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // The Director's own parser agrees with the schema on every one of them.
        string Read(string file) => File.ReadAllText(Path.Combine(Repo.Root, file));
        Assert.All(examples, f => Assert.Empty(Domain.Manifests.ManifestParser.Parse(Read(f)).Problems));
        Assert.All(invalid, f => Assert.NotEmpty(Domain.Manifests.ManifestParser.Parse(Read(f)).Problems));
    }
}
