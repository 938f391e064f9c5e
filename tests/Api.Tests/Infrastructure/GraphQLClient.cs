using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>A plain HTTP client of /graphql, as any user's script would be.</summary>
public sealed class GraphQLClient(HttpClient http, string? token)
{
    public string? Token { get; private set; } = token;
    public string? Username { get; private set; }
    public HttpClient Http => http;

    public async Task<GraphQLResponse> Send(string query, object? variables = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query, variables }),
        };
        if (Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new GraphQLResponse((int)response.StatusCode, JsonNode.Parse(body)!.AsObject());
    }

    /// <summary>Sends and asserts there are no errors; returns data.</summary>
    public async Task<JsonNode> Ok(string query, object? variables = null)
    {
        var response = await Send(query, variables);
        Assert.True(response.Errors is null, $"unexpected errors: {response.Errors?.ToJsonString()}");
        return response.Data!;
    }

    /// <summary>Sends and asserts exactly one error with the given code; returns that error.</summary>
    public async Task<JsonObject> Fails(string code, string query, object? variables = null)
    {
        var response = await Send(query, variables);
        Assert.True(response.Errors is { Count: > 0 }, $"expected {code}, got data {response.Body.ToJsonString()}");
        var error = response.Errors![0]!.AsObject();
        Assert.Equal(code, error["extensions"]?["code"]?.GetValue<string>());
        return error;
    }

    public async Task<GraphQLClient> SignIn(string username, string password)
    {
        var data = await Ok("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
            new { u = username, p = password });
        Token = data["login"]!["token"]!.GetValue<string>();
        Username = username;
        return this;
    }
}

public sealed record GraphQLResponse(int Status, JsonObject Body)
{
    public JsonNode? Data => Body["data"];
    public JsonArray? Errors => Body["errors"]?.AsArray();
}
