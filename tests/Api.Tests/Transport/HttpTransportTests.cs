using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>GraphQL over HTTP (shared/notes/graphql.md §2a) with raw requests, as any HTTP client would send them.</summary>
public sealed class HttpTransportTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Json = "application/json";
    private const string GraphQLResponseJson = "application/graphql-response+json";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static string Name() => "u" + Guid.NewGuid().ToString("N")[..10];

    private sealed record Reply(int Status, string? ContentType, string Body, HttpResponseMessage Response)
    {
        public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
        public string? Code => Json["errors"]?[0]?["extensions"]?["code"]?.GetValue<string>();
        public IEnumerable<string> Allow => Response.Content.Headers.Allow.Order();
    }

    private async Task<Reply> Send(HttpMethod method, string uri, string? body = null, string? contentType = Json,
        string? accept = null, Action<HttpRequestMessage>? configure = null)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        configure?.Invoke(request);
        var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return new Reply((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), text, response);
    }

    private Task<Reply> Post(string body, string? accept = null, string? contentType = Json) =>
        Send(HttpMethod.Post, "/graphql", body, contentType, accept);

    private Task<Reply> PostQuery(string query, object? variables = null, string? accept = null) =>
        Post(new JsonObject { ["query"] = query, ["variables"] = JsonNode.Parse(JsonSerializer.Serialize(variables)) }.ToJsonString(), accept);

    private Task<Reply> Get(string query, string? accept = null) =>
        Send(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(query), accept: accept);

    /// <summary>A refusal: the given status, INVALID_INPUT, and no data key because nothing was executed.</summary>
    private static void AssertRefused(int status, Reply reply)
    {
        Assert.True(status == reply.Status, $"expected {status}, got {reply.Status}: {reply.Body}");
        Assert.Equal("INVALID_INPUT", reply.Code);
        Assert.False(reply.Json.ContainsKey("data"), $"a refused request has no data key: {reply.Body}");
    }

    private async Task<bool> UserExists(string username)
    {
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        return users.Any(u => u!["username"]!.GetValue<string>() == username);
    }

    private static string RegisterBody(string username, string padding = "") => new JsonObject
    {
        ["query"] = "mutation($input: RegisterInput!) { register(input: $input) { id } }" + padding,
        ["variables"] = new JsonObject { ["input"] = new JsonObject { ["username"] = username, ["email"] = username + "@example.org", ["password"] = "good-password" } },
    }.ToJsonString();

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task methods_other_than_get_and_post_are_refused_with_405_allowing_both(string method)
    {
        var reply = await Send(new HttpMethod(method), "/graphql", """{"query":"{ version }"}""");
        AssertRefused(405, reply);
        Assert.Equal(["GET", "POST"], reply.Allow);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml, text/plain;q=0.5")]
    public async Task an_accept_header_naming_neither_json_type_is_refused_with_406(string accept)
    {
        var reply = await Post("""{"query":"{ version }"}""", accept);
        AssertRefused(406, reply);
    }

    [Theory]
    [InlineData(GraphQLResponseJson, GraphQLResponseJson)]
    [InlineData("application/graphql-response+json, application/json;q=0.9", GraphQLResponseJson)]
    [InlineData("application/json;q=0.5, application/graphql-response+json", GraphQLResponseJson)]
    [InlineData("application/json, application/graphql-response+json;q=0.9", Json)]
    [InlineData(Json, Json)]
    [InlineData("*/*", Json)]
    [InlineData("text/html, */*;q=0.1", Json)]
    [InlineData(null, Json)]
    public async Task the_response_media_type_is_the_one_the_client_prefers(string? accept, string served)
    {
        var reply = await Post("""{"query":"{ version }"}""", accept);
        Assert.Equal(200, reply.Status);
        Assert.Equal($"{served}; charset=utf-8", reply.ContentType);
        Assert.False(string.IsNullOrEmpty(reply.Json["data"]?["version"]?.GetValue<string>()), reply.Body);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData(null)]
    public async Task a_post_body_that_is_not_utf8_json_is_refused_with_415(string? contentType)
    {
        var reply = await Post("""{"query":"{ version }"}""", contentType: contentType);
        AssertRefused(415, reply);
    }

    [Fact]
    public async Task json_with_an_explicit_utf8_charset_is_accepted()
    {
        var reply = await Post("""{"query":"{ version }"}""", contentType: "application/json; charset=UTF-8");
        Assert.Equal(200, reply.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_body_above_max_request_bytes_is_refused_with_413_and_nothing_is_stored(bool chunked)
    {
        var name = Name();
        var body = RegisterBody(name, padding: new string(' ', 65536));
        var reply = await Send(HttpMethod.Post, "/graphql", body,
            configure: r => r.Headers.TransferEncodingChunked = chunked ? true : null);

        AssertRefused(413, reply);
        Assert.False(await UserExists(name));
    }

    [Fact]
    public async Task a_body_just_below_max_request_bytes_is_served()
    {
        var name = Name();
        var body = RegisterBody(name);
        body = RegisterBody(name, padding: new string(' ', 65536 - body.Length - 10));

        var reply = await Post(body);

        Assert.Equal(200, reply.Status);
        Assert.NotNull(reply.Json["data"]?["register"]?["id"]);
        Assert.True(await UserExists(name));
    }

    public static TheoryData<string> MalformedBodies => new()
    {
        "",
        """{"query": "{ version }" """,
        "{ version }",
        """[{"query":"{ version }"}]""",
        "\"{ version }\"",
        "null",
        "{}",
        """{"query": null}""",
        """{"query": ""}""",
        """{"query": 7}""",
        """{"variables": {}}""",
        """{"query":"{ version }","variables":[1]}""",
        """{"query":"{ version }","variables":"{}"}""",
        """{"query":"{ version }","operationName":1}""",
        """{"query":"{ version }","extensions":[]}""",
        """{"query":"{ version }","variables":""" + new string('[', 100) + new string(']', 100) + "}",
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task a_malformed_request_is_refused_with_400_invalid_input_and_no_data(string body)
    {
        foreach (var accept in new[] { Json, GraphQLResponseJson })
        {
            var reply = await Post(body, accept);
            AssertRefused(400, reply);
            Assert.Equal($"{accept}; charset=utf-8", reply.ContentType);
        }
    }

    [Fact]
    public async Task a_query_can_be_sent_with_get()
    {
        var reply = await Get("{version}");
        Assert.Equal(200, reply.Status);
        Assert.False(string.IsNullOrEmpty(reply.Json["data"]?["version"]?.GetValue<string>()), reply.Body);

        var withVariables = await Send(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("query($n: String!) { __type(name: $n) { name } }")
            + "&variables=" + Uri.EscapeDataString("""{"n":"User"}"""));
        Assert.Equal("User", withVariables.Json["data"]?["__type"]?["name"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("variables=%5B1%5D")]
    [InlineData("variables=not-json")]
    [InlineData("extensions=%5B%5D")]
    [InlineData("operationName=x")]
    public async Task a_get_without_a_query_or_with_malformed_parameters_is_refused_with_400(string parameters)
    {
        var withQuery = !parameters.StartsWith("operationName");
        var reply = await Send(HttpMethod.Get, "/graphql?" + (withQuery ? "query=%7Bversion%7D&" : "") + parameters);
        AssertRefused(400, reply);
    }

    [Fact]
    public async Task a_mutation_over_get_is_refused_with_405_allowing_post_and_is_not_executed()
    {
        var name = Name();
        var mutation = $$"""mutation { register(input: { username: "{{name}}", email: "{{name}}@example.org", password: "good-password" }) { id } }""";

        foreach (var accept in new[] { Json, GraphQLResponseJson })
        {
            var reply = await Get(mutation, accept);
            AssertRefused(405, reply);
            Assert.Equal(["POST"], reply.Allow);
        }

        Assert.False(await UserExists(name));
        await app.Client().Ok(mutation); // the name is still free
    }

    [Fact]
    public async Task a_mutation_document_served_over_post_is_still_refused_over_get()
    {
        // The same text again comes from the document cache: the method rule must still run on it.
        const string mutation = "mutation($input: RegisterInput!) { register(input: $input) { id } }";
        var first = Name();
        var served = await PostQuery(mutation, new { input = new { username = first, email = first + "@example.org", password = "good-password" } });
        Assert.True(served.Json["errors"] is null, served.Body);

        var second = Name();
        var variables = JsonSerializer.Serialize(new { input = new { username = second, email = second + "@example.org", password = "good-password" } });
        var reply = await Send(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(mutation) + "&variables=" + Uri.EscapeDataString(variables));
        AssertRefused(405, reply);
        Assert.False(await UserExists(second));
    }

    [Fact]
    public async Task a_document_served_before_still_has_its_variables_checked()
    {
        const string mutation = "mutation($u: String!, $e: String!, $c: Int) { register(input: { username: $u, email: $e, password: \"good-password\", credit: $c }) { id } }";
        var first = Name();
        var served = await PostQuery(mutation, new { u = first, e = first + "@example.org", c = (int?)null });
        Assert.True(served.Json["errors"] is null, served.Body);

        var second = Name();
        AssertRefused(400, await PostQuery(mutation, new { u = second, e = second + "@example.org", c = "abc" }, GraphQLResponseJson));
        AssertRefused(400, await PostQuery(mutation, new { e = second + "@example.org", c = 1 }, GraphQLResponseJson));
        Assert.False(await UserExists(second));
    }

    [Theory]
    [InlineData("{ version", "SYNTAX_ERROR")]
    [InlineData("{ nope }", "FIELDS_ON_CORRECT_TYPE")]
    [InlineData("{ version(x: 1) }", "KNOWN_ARGUMENT_NAMES")]
    [InlineData("query A { version } query B { version }", "NO_OPERATION_NAME")]
    public async Task syntax_and_validation_errors_answer_200_for_json_and_400_for_graphql_response_json(string query, string reason)
    {
        foreach (var (accept, status) in new[] { (Json, 200), (GraphQLResponseJson, 400) })
        {
            var reply = await PostQuery(query, accept: accept);
            AssertRefused(status, reply);
            Assert.Equal($"{accept}; charset=utf-8", reply.ContentType);
            Assert.Equal(reason, reply.Json["errors"]![0]!["extensions"]!["reason"]?.GetValue<string>());
        }
    }

    /// <summary>{ __type(name: "User") { name ofType { … { name } } } }: depth 2 + the number of ofType levels, and cheap.</summary>
    private static string Nested(int ofTypeLevels) =>
        "{ __type(name: \"User\") { name " + string.Concat(Enumerable.Repeat("ofType { ", ofTypeLevels)) + "name"
        + string.Concat(Enumerable.Repeat(" }", ofTypeLevels)) + " } }";

    [Fact]
    public async Task a_query_deeper_than_max_depth_is_refused_and_one_at_max_depth_is_served()
    {
        var atLimit = await PostQuery(Nested(13));
        Assert.True(atLimit.Json["errors"] is null, atLimit.Body);
        Assert.Equal("User", atLimit.Json["data"]?["__type"]?["name"]?.GetValue<string>());

        var tooDeep = await PostQuery(Nested(14), accept: GraphQLResponseJson);
        AssertRefused(400, tooDeep);
        Assert.Contains("depth", tooDeep.Json["errors"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_standard_introspection_query_of_graphiql_is_served()
    {
        var reply = await PostQuery(IntrospectionQuery, accept: "application/graphql-response+json, application/json;q=0.9");

        Assert.True(reply.Status == 200 && reply.Json["errors"] is null, reply.Body);
        var types = reply.Json["data"]!["__schema"]!["types"]!.AsArray().Select(t => t!["name"]!.GetValue<string>());
        Assert.Contains("User", types);
        Assert.Contains("RegisterInput", types);
    }

    [Fact]
    public async Task a_variable_of_the_wrong_type_is_refused_and_nothing_is_stored()
    {
        var name = Name();
        var reply = await PostQuery("""
            mutation($u: String!, $c: Int) { register(input: { username: $u, email: "x@example.org", password: "good-password", credit: $c }) { id } }
            """, new { u = name, c = "abc" }, GraphQLResponseJson);

        AssertRefused(400, reply);
        Assert.False(await UserExists(name));
    }

    [Fact]
    public async Task an_unknown_input_field_is_refused_and_nothing_is_stored()
    {
        var byVariable = Name();
        var reply = await PostQuery("mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = byVariable, email = byVariable + "@example.org", password = "good-password", nickname = "x" } });
        AssertRefused(200, reply);
        Assert.Contains("nickname", reply.Json["errors"]![0]!["message"]!.GetValue<string>());

        var byLiteral = Name();
        var literal = await PostQuery($$"""
            mutation { register(input: { username: "{{byLiteral}}", email: "{{byLiteral}}@example.org", password: "good-password", nickname: "x" }) { id } }
            """);
        AssertRefused(200, literal);

        Assert.False(await UserExists(byVariable));
        Assert.False(await UserExists(byLiteral));
    }

    [Fact]
    public async Task the_correlation_id_header_is_returned_and_echoes_a_well_formed_one_sent_by_the_caller()
    {
        var generated = await Post("""{"query":"{ version }"}""");
        Assert.Matches("^[0-9a-f]{32}$", generated.Response.Headers.GetValues("X-Correlation-Id").Single());

        var echoed = await Send(HttpMethod.Post, "/graphql", """{"query":"{ version }"}""",
            configure: r => r.Headers.Add("X-Correlation-Id", "job-42.step_7"));
        Assert.Equal("job-42.step_7", echoed.Response.Headers.GetValues("X-Correlation-Id").Single());

        var refusedHeader = await Send(HttpMethod.Post, "/graphql", """{"query":"{ version }"}""",
            configure: r => r.Headers.TryAddWithoutValidation("X-Correlation-Id", "<script>" + new string('x', 80)));
        Assert.Matches("^[0-9a-f]{32}$", refusedHeader.Response.Headers.GetValues("X-Correlation-Id").Single());
    }

    [Fact]
    public async Task the_schema_is_served_as_sdl()
    {
        var reply = await Send(HttpMethod.Get, "/graphql/schema.graphql");
        Assert.Equal(200, reply.Status);
        Assert.StartsWith("text/plain", reply.ContentType);
        Assert.Contains("type Query", reply.Body);
        Assert.Contains("type Mutation", reply.Body);
        GraphQLParser.Parser.Parse(reply.Body); // well-formed SDL
    }

    [Fact]
    public async Task health_answers_healthy()
    {
        var reply = await Send(HttpMethod.Get, "/health");
        Assert.Equal(200, reply.Status);
        Assert.Equal("Healthy", reply.Body);
    }

    [Fact]
    public async Task errors_never_leak_stack_traces_or_exception_names()
    {
        var replies = new List<Reply>
        {
            await Post("{ not json"),
            await Post(new string('[', 5000)),
            await Post("""{"query":"{ version }","variables":{"a":""" + new string('[', 70) + new string(']', 70) + "}}"),
            await Post("\u00ff\u00fe garbage", contentType: "application/json; charset=utf-16"),
            await Post("""{"query":"{ version }"}""", contentType: "application/json; charset=bogus"),
            await PostQuery("{ version"),
            await PostQuery("{ __schema { types { name } } } " + new string('}', 100)),
            await PostQuery("query($c: Int!) { __typename @include(if: $c) }", new { c = "abc" }),
            await PostQuery("mutation { register(input: {}) { id } }"),
            await PostQuery("mutation { login(username: \"nobody\", password: \"nothing-at-all\") { token } }"),
            await PostQuery("{ users { id } }"),
            await PostQuery(Nested(50)),
            await Send(HttpMethod.Get, "/graphql?query=%7Bversion%7D&variables=%7B%22a%22%3A"),
            await Send(HttpMethod.Put, "/graphql", "x"),
        };

        foreach (var reply in replies)
        {
            Assert.True(reply.Status is >= 200 and < 500, $"{reply.Status}: {reply.Body}");
            Assert.False(reply.Body.Contains("   at ") || reply.Body.Contains("Exception"), reply.Body);
            Assert.True(reply.Json["errors"]?[0]?["message"] is not null, reply.Body);
        }
    }

    /// <summary>graphql-js 16 getIntrospectionQuery() with default options: the query GraphiQL sends to load the schema.</summary>
    private const string IntrospectionQuery = """
        query IntrospectionQuery {
          __schema {
            queryType { name kind }
            mutationType { name kind }
            subscriptionType { name kind }
            types {
              ...FullType
            }
            directives {
              name
              description
              locations
              args {
                ...InputValue
              }
            }
          }
        }
        fragment FullType on __Type {
          kind
          name
          description
          fields(includeDeprecated: true) {
            name
            description
            args {
              ...InputValue
            }
            type {
              ...TypeRef
            }
            isDeprecated
            deprecationReason
          }
          inputFields {
            ...InputValue
          }
          interfaces {
            ...TypeRef
          }
          enumValues(includeDeprecated: true) {
            name
            description
            isDeprecated
            deprecationReason
          }
          possibleTypes {
            ...TypeRef
          }
        }
        fragment InputValue on __InputValue {
          name
          description
          type { ...TypeRef }
          defaultValue
        }
        fragment TypeRef on __Type {
          kind
          name
          ofType {
            name
            kind
            ofType {
              name
              kind
              ofType {
                name
                kind
                ofType {
                  name
                  kind
                  ofType {
                    name
                    kind
                    ofType {
                      name
                      kind
                      ofType {
                        name
                        kind
                        ofType {
                          name
                          kind
                          ofType {
                            name
                            kind
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
        """;
}
