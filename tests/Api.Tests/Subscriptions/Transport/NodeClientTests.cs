using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>
/// Interop with the reference clients from npm: tests/js/ws-client.mjs (graphql-ws) and tests/js/sse-client.mjs
/// (graphql-sse), run by Node against the live host: a query, a mutation and the events subscription.
/// </summary>
public sealed class NodeClientTests(WsApp app) : IClassFixture<WsApp>
{
    private static object Operations(string token, string name) => new
    {
        authorization = "Bearer " + token,
        operations = new object[]
        {
            new { query = "{ me { username } }" },
            new { query = "mutation($n: String!) { createApplication(name: $n) { name } }", variables = new { n = name } },
            // Catch-up from the start of the log includes the application just created; the client then completes.
            new { query = "subscription { events(after: 0) { type data } }", until = name },
        },
    };

    [Theory]
    [InlineData("ws-client.mjs")]
    [InlineData("sse-client.mjs")]
    public async Task the_reference_client_queries_mutates_and_subscribes(string script)
    {
        var user = await app.NewUser();
        var name = "node-" + script[..2];
        var uri = script.StartsWith("ws") ? app.WebSocketUri : app.GraphQLUri;
        var output = await NodeClient.Run(script, uri, Operations(user.Token!, name));
        var ops = output["operations"]!.AsArray();

        Assert.Equal(user.Username, ops[0]!["results"]![0]!["data"]!["me"]!["username"]!.GetValue<string>());
        Assert.Equal("server", ops[0]!["ended"]!.GetValue<string>());
        Assert.Single(ops[0]!["results"]!.AsArray());

        Assert.Equal(name, ops[1]!["results"]![0]!["data"]!["createApplication"]!["name"]!.GetValue<string>());
        Assert.Equal("server", ops[1]!["ended"]!.GetValue<string>());

        Assert.True(ops[2]!["error"] is null, $"unexpected error: {ops[2]}");
        Assert.Equal("client", ops[2]!["ended"]!.GetValue<string>());
        var last = ops[2]!["results"]!.AsArray().Last()!;
        Assert.Equal("ApplicationCreated", last["data"]!["events"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_graphql_ws_client_sees_a_bad_token_as_close_4403()
    {
        var output = await NodeClient.Run("ws-client.mjs", app.WebSocketUri, new
        {
            authorization = "Bearer not-a-token",
            operations = new[] { new { query = "{ version }" } },
        });
        var error = output["operations"]![0]!["error"]!;
        Assert.Equal(4403, error["code"]!.GetValue<int>());
        Assert.Equal("Forbidden", error["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_graphql_ws_client_gets_validation_errors_as_an_error_message()
    {
        var output = await NodeClient.Run("ws-client.mjs", app.WebSocketUri, new { operations = new[] { new { query = "{ noSuchField }" } } });
        var error = output["operations"]![0]!["error"]!.AsArray();
        Assert.Equal("INVALID_INPUT", error[0]!["extensions"]!["code"]!.GetValue<string>());
    }
}
