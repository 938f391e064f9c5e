using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Subscriptions.Transport;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>
/// Hostile documents (issue 11): fragment, alias, directive and token bombs and deep nesting are refused on the
/// parsed document, before validation expands anything: one INVALID_INPUT error, fast, over HTTP, WebSocket and SSE.
/// </summary>
public sealed class RequestLimitTests(WsApp app) : IClassFixture<WsApp>
{
    private const string GraphQLResponseJson = "application/graphql-response+json";
    /// <summary>Generous: the old behaviour took 25 s for the 24-fragment chain below, the new one milliseconds.</summary>
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Each fragment spreads the previous one twice: 2^n fields once expanded, under 1 KB of text.</summary>
    internal static string FragmentChain(int n, string type = "Query", string leaf = "version")
    {
        var text = new StringBuilder($"{(type == "Mutation" ? "mutation" : "query")} {{ ...F{n} }} fragment F0 on {type} {{ {leaf} }}");
        for (var i = 1; i <= n; i++) text.Append($" fragment F{i} on {type} {{ ...F{i - 1} ...F{i - 1} }}");
        return text.ToString();
    }

    /// <summary>Real fields nested <paramref name="levels"/> deep, or (past 1000 levels, to stay under MaxRequestBytes) one-letter ones.</summary>
    internal static string Nested(int levels) => levels <= 1000
        ? "{ applications { " + string.Concat(Enumerable.Repeat("services { application { ", levels / 2)) + "id"
          + string.Concat(Enumerable.Repeat(" } }", levels / 2)) + " } }"
        : string.Concat(Enumerable.Repeat("{a", levels)) + string.Concat(Enumerable.Repeat("}", levels));

    private sealed record Reply(int Status, JsonObject Json, TimeSpan Took)
    {
        public JsonArray Errors => Json["errors"]?.AsArray() ?? [];
        public string? Code => Errors.FirstOrDefault()?["extensions"]?["code"]?.GetValue<string>();
        public string Message => Errors.FirstOrDefault()?["message"]?.GetValue<string>() ?? "";
    }

    private async Task<Reply> Post(string query, string accept = GraphQLResponseJson)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(new JsonObject { ["query"] = query }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd(accept);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return new Reply((int)response.StatusCode, JsonNode.Parse(body)!.AsObject(), clock.Elapsed);
    }

    private async Task<Reply> Get(string query)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        http.DefaultRequestHeaders.Accept.ParseAdd(GraphQLResponseJson);
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync("/graphql?query=" + Uri.EscapeDataString(query), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return new Reply((int)response.StatusCode, JsonNode.Parse(body)!.AsObject(), clock.Elapsed);
    }

    /// <summary>Refused as a request error: 400, one INVALID_INPUT error naming the limit, no data, quickly.</summary>
    private static void AssertRefused(Reply reply, string mentions)
    {
        Assert.True(reply.Status == 400, $"expected 400, got {reply.Status}: {reply.Json.ToJsonString()}");
        Assert.Equal("INVALID_INPUT", reply.Code);
        Assert.Single(reply.Errors);
        Assert.Contains(mentions, reply.Message);
        Assert.False(reply.Json.ContainsKey("data"), reply.Json.ToJsonString());
        Assert.True(reply.Took < Fast, $"took {reply.Took}");
    }

    [Fact]
    public async Task a_chain_of_fragments_each_spreading_the_previous_twice_is_refused_at_once()
    {
        var query = FragmentChain(24);
        Assert.True(query.Length < 1200, $"{query.Length} characters");

        AssertRefused(await Post(query), "fields");
        AssertRefused(await Get(query), "fields");
    }

    [Fact]
    public async Task a_fragment_chain_of_mutations_is_refused_and_writes_nothing()
    {
        var name = "u" + Guid.NewGuid().ToString("N")[..10];
        var leaf = $"register(input: {{username: \"{name}\", email: \"{name}@example.org\", password: \"good-password\"}}) {{ id }}";

        AssertRefused(await Post(FragmentChain(24, "Mutation", leaf)), "fields");

        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task a_short_fragment_chain_is_served()
    {
        var reply = await Post(FragmentChain(5));
        Assert.True(reply.Status == 200 && reply.Errors.Count == 0, reply.Json.ToJsonString());
    }

    [Fact]
    public async Task three_thousand_repeated_directives_get_one_error()
    {
        var query = "{ version" + string.Concat(Enumerable.Repeat(" @skip(if: false)", 3000)) + " }";
        AssertRefused(await Post(query), "directives");
    }

    [Fact]
    public async Task too_many_fields_written_out_are_refused()
    {
        // Validation compares same-named fields pairwise: 1,900 of them took about a second of CPU.
        AssertRefused(await Post("{ " + string.Concat(Enumerable.Repeat("version ", 1_900)) + "}"), "fields");
    }

    [Fact]
    public async Task too_many_aliases_are_refused()
    {
        var query = "{ " + string.Join(" ", Enumerable.Range(0, 200).Select(i => $"v{i}: version")) + " }";
        AssertRefused(await Post(query), "aliases");
    }

    [Fact]
    public async Task too_many_fragments_and_spreads_are_refused()
    {
        var fragments = "{ ...F0 } " + string.Join(" ", Enumerable.Range(0, 200).Select(i => $"fragment F{i} on Query {{ version }}"));
        AssertRefused(await Post(fragments), "fragments");
        var spreads = "{ " + string.Concat(Enumerable.Repeat("...F ", 500)) + "} fragment F on Query { version }";
        AssertRefused(await Post(spreads), "spreads");
    }

    [Fact]
    public async Task a_document_of_too_many_tokens_is_refused()
    {
        // Tokens the other limits do not count: a long list literal in an argument.
        var query = "{ vms(applicationId: [" + string.Join(",", Enumerable.Repeat("1", 20_000)) + "]) { name } }";
        AssertRefused(await Post(query), "tokens");
    }

    [Theory]
    [InlineData(50)]
    [InlineData(10_000)]
    public async Task a_deeply_nested_document_gets_the_depth_error(int levels)
    {
        AssertRefused(await Post(Nested(levels)), "depth");
    }

    [Fact]
    public async Task deeply_nested_argument_values_get_the_depth_error()
    {
        var value = string.Concat(Enumerable.Repeat("[", 5_000)) + string.Concat(Enumerable.Repeat("]", 5_000));
        AssertRefused(await Post("{ vms(applicationId: " + value + ") { name } }"), "depth");
    }

    [Fact]
    public async Task the_fragment_chain_is_refused_over_websocket_as_an_error_message_for_that_operation()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        var clock = Stopwatch.StartNew();
        await client.Subscribe("bomb", FragmentChain(24));

        var error = await client.Expect("error", "bomb");
        Assert.True(clock.Elapsed < Fast, $"took {clock.Elapsed}");
        var errors = error.Message!["payload"]!.AsArray();
        Assert.Single(errors);
        Assert.Equal("INVALID_INPUT", errors[0]!["extensions"]!["code"]!.GetValue<string>());

        // The connection stays usable.
        await client.Subscribe("ok", "{ version }");
        await client.Expect("next", "ok");
    }

    [Fact]
    public async Task the_fragment_chain_is_refused_over_sse_in_the_stream()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(new JsonObject { ["query"] = FragmentChain(24) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(clock.Elapsed < Fast, $"took {clock.Elapsed}");
        var next = body.Split("\n\n").Single(f => f.StartsWith("event: next"));
        var result = JsonNode.Parse(next["event: next\ndata: ".Length..])!.AsObject();
        Assert.Single(result["errors"]!.AsArray());
        Assert.Equal("INVALID_INPUT", result["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task user_input_echoed_in_an_error_is_quoted_shortened()
    {
        var long_ = new string('x', 10_000);
        var bodies = new[]
        {
            new JsonObject { ["query"] = "query A { version }", ["operationName"] = long_ },
            new JsonObject { ["query"] = "query($n: Boolean!) { version @include(if: $n) }", ["variables"] = new JsonObject { ["n"] = long_ } },
            new JsonObject { ["query"] = "{ " + long_ + " }" },
        };
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        foreach (var body in bodies)
        {
            using var response = await http.PostAsync("/graphql", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
            var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
            var error = reply["errors"]![0]!;
            var message = error["message"]!.GetValue<string>();
            Assert.Equal("INVALID_INPUT", error["extensions"]!["code"]!.GetValue<string>());
            Assert.True(message.Length < 300, $"{message.Length} characters: {message[..Math.Min(message.Length, 300)]}");
            Assert.Contains(new string('x', 64) + "…", message);
        }
    }

    [Fact]
    public async Task the_standard_queries_of_the_readme_and_cps_pass_the_limits()
    {
        var user = await app.NewUser();
        // cps's service fragment, the deepest document it sends (src/Cli/Commands/ServiceCommands.cs).
        await user.Ok("""
            query { applications { services { ...S } } }
            fragment S on Service { id sid name type state stateReason cloud subnet nodeCounts { role count } application { id name } }
            """);
        await user.Ok("{ me { username email role credit } vms { name role state address vpnAddress cloud } }");
    }
}
