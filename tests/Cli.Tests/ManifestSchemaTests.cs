using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Conpaas.Cli.Tests.Infrastructure;
using Conpaas.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>
/// cps app apply checks a manifest against the Director's JSON Schema before sending it. The Director is reached
/// through a relay that logs every request, so a test sees what reached it, and that can hide the schema as an
/// older Director does.
/// </summary>
public sealed class ManifestSchemaTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    private const string Bad = """{"Application": "x", "Colour": "red", "Services": [{"Type": "tomcat"}, {"Type": "php", "Dump": "db.sql", "StartupInstances": {"web": -1, "db": 1}}, {"Typ": "php"}]}""";

    [Fact]
    public async Task an_invalid_manifest_lists_every_problem_and_is_not_sent()
    {
        await using var relay = await Relay.Start(director.BaseAddress);
        var ann = await SignedInThrough(relay);
        var bad = Write(Bad);

        foreach (var dryRun in new[] { false, true })
        {
            string[] args = dryRun ? ["app", "apply", "-f", bad, "--dry-run"] : ["app", "apply", "-f", bad];
            var refused = await ann.Fails(1, "error: The manifest was not sent: it does not match the Director's schema: ", args);
            Assert.EndsWith(" (INVALID_INPUT)\n", refused.Err);
            Assert.Contains("schema: $.Colour: Unknown key 'Colour'; ", refused.Err);
            Assert.Contains("; $.Services[0].Type: Should be one of \"php\", \"java\", ", refused.Err);
            Assert.Contains("; $.Services[1].Dump: The original's key; not supported by this Director yet (loading a database dump): refused by name; ", refused.Err);
            Assert.Contains("; $.Services[1].StartupInstances.web: -1 should be at least 0; ", refused.Err);
            Assert.Contains("; $.Services[1].StartupInstances.db: Should be one of \"backend\", \"web\", \"proxy\"", refused.Err);
            Assert.Contains("; $.Services[2].Type: Missing required field: 'Type'", refused.Err);
            Assert.Contains("; $.Services[2].Typ: Unknown key 'Typ'", refused.Err);
        }

        Assert.Equal(["GET /manifest.schema.json", "GET /manifest.schema.json"], relay.Requests);
        Assert.Equal("No existing applications.\n", (await ann.Ok("app", "list")).Out);
    }

    [Fact]
    public async Task a_valid_manifest_is_checked_then_sent_and_no_validate_sends_it_unchecked()
    {
        await using var relay = await Relay.Start(director.BaseAddress);
        var ann = await SignedInThrough(relay);

        Assert.StartsWith("Applied (manifest ", (await ann.Ok("app", "apply", "-f", ManifestCommandTests.Example("helloworld.json", "hello"))).Out);
        Assert.Equal(["GET /manifest.schema.json", "POST /graphql applyManifest"], relay.Requests);

        relay.Requests.Clear();
        var refused = await ann.Fails(1, "error: The manifest was not applied: $.Colour: Unknown key 'Colour'", "app", "apply", "-f", Write(Bad), "--no-validate");
        Assert.Contains("$.Services[0].Type: Unknown service type 'tomcat'", refused.Err);
        Assert.Equal(["POST /graphql applyManifest"], relay.Requests);
    }

    [Fact]
    public async Task a_director_without_the_schema_gets_the_manifest_with_a_warning()
    {
        await using var relay = await Relay.Start(director.BaseAddress);
        var ann = await SignedInThrough(relay);
        relay.Schema = Results.NotFound();

        var applied = await ann.Ok("app", "apply", "-f", ManifestCommandTests.Example("helloworld.json", "hello"));
        Assert.StartsWith("Applied (manifest ", applied.Out);
        Assert.Equal($"warning: the Director at {relay.Address.ToString().TrimEnd('/')} serves no manifest schema: the manifest is sent unchecked (the Director checks it)\n", applied.Err);

        var refused = await ann.Fails(1, "error: The manifest was not applied: $.Colour: Unknown key 'Colour'", "app", "apply", "-f", Write(Bad));
        Assert.StartsWith("warning: the Director at ", refused.Err);
        Assert.Equal(["GET /manifest.schema.json", "POST /graphql applyManifest", "GET /manifest.schema.json", "POST /graphql applyManifest"], relay.Requests);

        // An older Director with the dashboard answers every unknown path with its page.
        relay.Schema = Results.Content("<!doctype html><title>ConPaaS</title>", "text/html");
        var again = await ann.Ok("app", "apply", "-f", ManifestCommandTests.Example("helloworld.json", "hello"));
        Assert.Equal("Application 'hello' is as the manifest says: nothing to do\n", again.Out);
        Assert.StartsWith("warning: the Director at ", again.Err);
    }

    /// <summary>A new user whose session is with the relay: cps sends a session token only to the Director that issued it.</summary>
    private async Task<Cps> SignedInThrough(Relay relay)
    {
        var shell = await director.NewUser();
        await shell.Ok("login", shell.Username!, "--password", Cps.PasswordOf(shell.Username!), "--director", relay.Address.ToString());
        relay.Requests.Clear();
        return shell;
    }

    private static string Write(string manifest)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cps-schema-").FullName, "manifest.json");
        File.WriteAllText(path, manifest);
        return path;
    }

    /// <summary>
    /// Relays every request to the Director and logs it: "GET /path", or "POST /graphql applyManifest" for an apply.
    /// <see cref="Schema"/>, when set, answers GET /manifest.schema.json instead of the Director.
    /// </summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly WebApplication _app = LoopbackApp.Create();
        private readonly HttpClient _http;

        private Relay(Uri director)
        {
            _http = new HttpClient { BaseAddress = director };
            _app.Run(Forward);
        }

        public ConcurrentQueue<string> Requests { get; } = new();
        public IResult? Schema { get; set; }
        public Uri Address => LoopbackApp.Address(_app);

        public static async Task<Relay> Start(Uri director)
        {
            var relay = new Relay(director);
            await relay._app.StartAsync();
            return relay;
        }

        private async Task Forward(HttpContext context)
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{(body.Contains("applyManifest") ? " applyManifest" : "")}");
            if (Schema is not null && context.Request.Path == "/manifest.schema.json")
            {
                await Schema.ExecuteAsync(context);
                return;
            }

            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
            if (HttpMethods.IsPost(context.Request.Method))
                request.Content = new StringContent(body, MediaTypeHeaderValue.Parse(context.Request.ContentType!));
            if (context.Request.Headers.Authorization.Count > 0)
                request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
            using var response = await _http.SendAsync(request);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(context.Response.Body);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            _http.Dispose();
        }
    }
}
