using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Subscriptions.Transport;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>
/// Bodies that are not the JSON they claim to be (issue 11): invalid UTF-8, escaped lone surrogates, a key twice.
/// Each is the client's error (400, INVALID_INPUT), never an empty 500, and nothing is written.
/// </summary>
public sealed class MalformedBodyTests(WsApp app) : IClassFixture<WsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2);

    private static string Name() => "u" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A register request whose input is <paramref name="input"/>, raw JSON text.</summary>
    private static string RegisterBody(string input) => """{"query":"mutation($input: RegisterInput!) { register(input: $input) { id } }","variables":{"input":""" + input + "}}";

    private static string Input(string name, string extra = "") =>
        $$"""{"username":"{{name}}","email":"{{name}}@example.org","password":"good-password"{{extra}}}""";

    private async Task<(int Status, JsonObject Json, TimeSpan Took)> Post(byte[] body, string? accept = null, string path = "/graphql")
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(text.Length > 0, $"an empty {(int)response.StatusCode}");
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject(), clock.Elapsed);
    }

    private static void AssertBadRequest((int Status, JsonObject Json, TimeSpan Took) reply, string mentions)
    {
        Assert.True(reply.Status == 400, $"expected 400, got {reply.Status}: {reply.Json.ToJsonString()}");
        var error = reply.Json["errors"]!.AsArray().Single()!;
        Assert.Equal("INVALID_INPUT", error["extensions"]!["code"]!.GetValue<string>());
        Assert.Contains(mentions, error["message"]!.GetValue<string>());
        Assert.False(reply.Json.ContainsKey("data"));
        Assert.True(reply.Took < Fast, $"took {reply.Took}");
    }

    private async Task AssertNoUser(string name)
    {
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>() == name);
    }

    public static TheoryData<string> Accepts => ["application/json", "application/graphql-response+json", "text/event-stream"];

    [Theory]
    [MemberData(nameof(Accepts))]
    public async Task invalid_utf8_is_400_and_writes_nothing(string accept)
    {
        var name = Name();
        var body = Encoding.UTF8.GetBytes(RegisterBody(Input(name, ",\"firstName\":\"X\""))).ToList();
        var at = body.LastIndexOf((byte)'X');
        body[at] = 0xFF; // never valid in UTF-8
        AssertBadRequest(await Post([.. body], accept), "UTF-8");
        await AssertNoUser(name);
    }

    [Theory]
    [MemberData(nameof(Accepts))]
    public async Task an_escaped_lone_surrogate_is_400_and_writes_nothing(string accept)
    {
        var name = Name();
        AssertBadRequest(await Post(Encoding.UTF8.GetBytes(RegisterBody(Input(name, ",\"firstName\":\"\\ud800\""))), accept), "surrogate");
        await AssertNoUser(name);
        AssertBadRequest(await Post("""{"query":"{ version \udfff }"}"""u8.ToArray(), accept), "surrogate");
    }

    [Theory]
    [MemberData(nameof(Accepts))]
    public async Task a_key_twice_in_variables_is_400_and_writes_nothing(string accept)
    {
        var name = Name();
        AssertBadRequest(await Post(Encoding.UTF8.GetBytes(RegisterBody(Input(name, $",\"username\":\"{name}x\""))), accept), "username");
        await AssertNoUser(name);
        await AssertNoUser(name + "x");
        AssertBadRequest(await Post(Encoding.UTF8.GetBytes(RegisterBody(Input(name) + ",\"input\":" + Input(name))), accept), "input");
        await AssertNoUser(name);
    }

    [Theory]
    [MemberData(nameof(Accepts))]
    public async Task a_key_twice_at_the_top_of_the_body_is_400(string accept)
    {
        AssertBadRequest(await Post("""{"query":"{ version }","query":"{ me { id } }"}"""u8.ToArray(), accept), "query");
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("123456789012345678901234567890123456789012345678901234567890")]
    [InlineData("-0.0000000000000000000000000000000000000000000000000000000001e-400")]
    public async Task a_number_out_of_every_range_in_variables_is_invalid_input_not_a_server_error(string number)
    {
        var reply = await Post(Encoding.UTF8.GetBytes("""{"query":"query($n: Int) { version }","variables":{"n":""" + number + "}}"),
            "application/graphql-response+json");
        Assert.True(reply.Status == 400, $"expected 400, got {reply.Status}: {reply.Json.ToJsonString()}");
        Assert.Equal("INVALID_INPUT", reply.Json["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task get_parameters_with_a_key_twice_or_a_lone_surrogate_are_400()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        foreach (var variables in new[] { """{"a":1,"a":2}""", """{"a":"\ud800"}""" })
        {
            using var response = await http.GetAsync("/graphql?query=" + Uri.EscapeDataString("query($a: Int) { version }")
                + "&variables=" + Uri.EscapeDataString(variables), Ct);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(400, (int)response.StatusCode);
            Assert.Equal("INVALID_INPUT", json["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task over_websocket_a_key_twice_or_a_lone_surrogate_closes_4400_and_writes_nothing()
    {
        var name = Name();
        var messages = new[]
        {
            """{"id":"1","type":"subscribe","payload":""" + RegisterBody(Input(name, $",\"username\":\"{name}x\"")) + "}",
            """{"id":"1","type":"subscribe","payload":""" + RegisterBody(Input(name, ",\"firstName\":\"\\ud800\"")) + "}",
            """{"id":"1","type":"subscribe","payload":{"query":"{ version \ud800 }"}}""",
            """{"type":"connection_init","type":"ping"}""",
        };
        foreach (var message in messages)
        {
            await using var client = await WsClient.Connect(app);
            if (!message.Contains("connection_init")) await client.Init(null);
            await client.SendText(message);
            var close = await client.ExpectClose(4400);
            Assert.StartsWith("Invalid message", close.CloseReason);
        }

        await AssertNoUser(name);
        await AssertNoUser(name + "x");
    }

    [Fact]
    public async Task over_websocket_invalid_utf8_closes_the_socket_as_invalid_data()
    {
        await using var client = await WsClient.Connect(app);
        await client.Init(null);
        var message = """{"type":"ping","payload":{"a":"X"}}"""u8.ToArray();
        message[Array.IndexOf(message, (byte)'X')] = 0xFF;
        await client.Socket.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Text, true, Ct);

        var close = await client.Closed();
        // RFC 6455: 1007 for text that is not UTF-8 (the WebSocket layer checks it before the protocol sees it).
        Assert.True(close.Code is 1007 or 4400, $"expected 1007 or 4400, got {close}");
    }
}
