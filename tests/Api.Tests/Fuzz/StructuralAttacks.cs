using System.Text;

namespace Conpaas.Api.Tests.Fuzz;

/// <summary>
/// Attacks on the request itself rather than on argument values: broken JSON and UTF-8, wrong content types and
/// methods, oversize and deeply nested documents, alias, fragment and directive bombs, forged tokens, and malformed
/// graphql-transport-ws messages. Sent by the stranger; each hides a mutation where it can, so that a request that
/// should have been refused and was not shows up as an event.
/// </summary>
public sealed class StructuralAttacks(Random rng, Func<string> victimToken)
{
    public const int LargestFragmentChain = 30;

    private const string Create = "mutation($n: String!) { createApplication(name: $n) { id } }";
    private readonly Dictionary<string, int> _ordinal = [];

    private delegate FuzzCase Attack(int index, int ordinal);

    /// <summary>A random structural attack; bombs grow with each use, so a regression is found at its smallest size.</summary>
    public FuzzCase Next(int index)
    {
        var (kind, attack) = Attacks[rng.Next(Attacks.Length)];
        var ordinal = _ordinal[kind] = _ordinal.GetValueOrDefault(kind) + 1;
        return attack(index, ordinal - 1);
    }

    private (string Kind, Attack Attack)[] Attacks =>
    [
        ("malformed JSON", MalformedJson),
        ("invalid UTF-8", InvalidUtf8),
        ("lone surrogate", LoneSurrogate),
        ("duplicate keys", DuplicateKeys),
        ("wrong content type", WrongContentType),
        ("oversize body", Oversize),
        ("bad request shape", BadShape),
        ("method", Method),
        ("deep selection", DeepSelection),
        ("deep nesting", DeepNesting),
        ("alias bomb", AliasBomb),
        ("fragment chain", FragmentChain),
        ("directive bomb", DirectiveBomb),
        ("huge document", HugeDocument),
        ("many operations", ManyOperations),
        ("forged token", ForgedToken),
        ("malformed over SSE", Sse),
        ("malformed WebSocket", WebSocket),
        ("malformed WebSocket", WebSocket),
    ];

    private static string Json(string query, string? variables = null) =>
        "{\"query\":" + HostileValues.Str(query) + (variables is null ? "" : ",\"variables\":" + variables) + "}";

    /// <summary>A createApplication body up to the opening quote of its name variable.</summary>
    private static readonly string VariablePrefix = "{\"query\":" + HostileValues.Str(Create) + ",\"variables\":{\"n\":\"";

    private string NewName() => $"fz-struct-{rng.Next(1_000_000)}";

    private FuzzCase Raw(int index, string kind, string detail, byte[] body, bool mustRefuse = true, string contentType = "application/json",
        string method = "POST", string accept = "application/json", string? authorization = null, Via via = Via.Post) => new()
    {
        Index = index, Kind = kind, Detail = detail, Via = via, Who = Who.Stranger, MustRefuse = mustRefuse,
        RawBody = body, ContentType = contentType, Method = method, Accept = accept, Authorization = authorization,
    };

    private FuzzCase Raw(int index, string kind, string detail, string body, bool mustRefuse = true) =>
        Raw(index, kind, detail, Encoding.UTF8.GetBytes(body), mustRefuse);

    private FuzzCase MalformedJson(int index, int ordinal)
    {
        var valid = Json(Create, $"{{\"n\":\"{NewName()}\"}}");
        string[] fixedOnes =
        [
            "{", "}", "{\"query\":", "{\"query\":\"mutation { logout }\"", "{\"query\":\"x\"}}", "{'query':'{ version }'}",
            "{\"query\":\"{ version }\",}", "{\"query\":\"{ version }\" \"x\":1}", "\u0000", "{\"query\"\u0000:\"{ version }\"}",
            "{\"query\":\"{ version\u0001 }\"}", "{\"query\":\"{ version }\"}" + new string('x', 100), "{\"query\":NaN}",
            "{\"query\":\"\\x41\"}", "{\"query\":\"\\u12\"}", "\ufeff" + valid, valid[..^1],
        ];
        var detail = ordinal % 3 == 0 ? "truncated at a random byte" : ordinal % 3 == 1 ? "fixed" : "random bytes flipped";
        var body = (ordinal % 3) switch
        {
            0 => Encoding.UTF8.GetBytes(valid[..rng.Next(1, valid.Length - 1)]),
            1 => Encoding.UTF8.GetBytes(fixedOnes[ordinal / 3 % fixedOnes.Length]),
            // A query: flipped bytes that still leave a valid request (they may) must not create anything either.
            _ => Flip(Encoding.UTF8.GetBytes(Json("{ me { username } }", "{}"))),
        };
        // A flipped byte may still leave a valid request: only the first two must be refused.
        return Raw(index, "malformed JSON", detail, body, mustRefuse: ordinal % 3 != 2);
    }

    private byte[] Flip(byte[] bytes)
    {
        for (var i = 0; i < 1 + rng.Next(4); i++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
        return bytes;
    }

    /// <summary>Bytes that are not UTF-8 inside an otherwise valid createApplication: must be HTTP 400, and create nothing.</summary>
    private FuzzCase InvalidUtf8(int index, int ordinal)
    {
        byte[][] bad = [[0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80]];
        var invalid = bad[ordinal % bad.Length];
        var inVariables = ordinal / bad.Length % 2 == 0;
        var name = Encoding.UTF8.GetBytes(NewName());
        var (prefix, suffix) = inVariables
            ? (VariablePrefix, "\"}}")
            : ("{\"query\":\"mutation { createApplication(name: \\\"", "\\\") { id } }\"}");
        var body = Encoding.UTF8.GetBytes(prefix).Concat(name).Concat(invalid).Concat(Encoding.UTF8.GetBytes(suffix)).ToArray();
        return Raw(index, "invalid UTF-8", $"{Convert.ToHexString(invalid)} in the {(inVariables ? "variables" : "query")}", body);
    }

    private FuzzCase LoneSurrogate(int index, int ordinal)
    {
        var name = NewName();
        string[] bodies =
        [
            Json(Create, $"{{\"n\":\"{name}\\ud800\"}}"),
            Json(Create, $"{{\"n\":\"{name}\\udfff\\ud800\"}}"),
            "{\"query\":\"mutation { createApplication(name: \\\"" + name + "\\\\ud800\\\") { id } }\"}",
            "{\"query\":\"mutation($n: String!) { createApplication(name: $n) { id } }\\ud800\",\"variables\":{\"n\":\"" + name + "\"}}",
        ];
        return Raw(index, "lone surrogate", $"variant {ordinal % bodies.Length}", bodies[ordinal % bodies.Length]);
    }

    private FuzzCase DuplicateKeys(int index, int ordinal)
    {
        var name = NewName();
        string[] bodies =
        [
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\",\"n\":\"{name}-b\"}}}}",
            $"{{\"query\":\"{{ version }}\",\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\"}}}}",
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\"}},\"variables\":{{\"n\":\"{name}-b\"}}}}",
        ];
        return Raw(index, "duplicate keys", $"variant {ordinal % bodies.Length}", bodies[ordinal % bodies.Length]);
    }

    /// <summary>A valid createApplication under a content type the Director does not take: 415, nothing created.</summary>
    private FuzzCase WrongContentType(int index, int ordinal)
    {
        string[] types =
        [
            "text/plain", "application/graphql", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/json; charset=utf-16", "application/json; charset=latin1", "application/jsonp", "application/xml",
            "application/json, text/plain", "*/*", "json", "application/json; charset=\"", ";;;",
        ];
        var type = types[ordinal % types.Length];
        return Raw(index, "wrong content type", type, Encoding.UTF8.GetBytes(Json(Create, $"{{\"n\":\"{NewName()}\"}}")), contentType: type);
    }

    private FuzzCase Oversize(int index, int ordinal)
    {
        int[] sizes = [64 * 1024 + 1, 100_000, 1_000_000, 4_000_000];
        var size = sizes[ordinal % sizes.Length];
        var body = VariablePrefix + new string('x', size - VariablePrefix.Length - 3) + "\"}}";
        return Raw(index, "oversize body", $"{size} bytes", body);
    }

    private FuzzCase BadShape(int index, int ordinal)
    {
        var name = NewName();
        string[] bodies =
        [
            "null", "[]", "\"x\"", "42", "{}", "{\"query\":5}", "{\"query\":[\"{ version }\"]}", "{\"query\":{\"a\":1}}", "{\"query\":\"\"}",
            "{\"query\":\"   \"}", $"{{\"query\":{HostileValues.Str(Create)},\"variables\":\"{{\\\"n\\\":\\\"{name}\\\"}}\"}}",
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":[\"{name}\"]}}",
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\"}},\"operationName\":{{\"x\":1}}}}",
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\"}},\"operationName\":\"Nope\"}}",
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\"}},\"extensions\":\"x\"}}",
            $"{{\"query\":{HostileValues.Str("mutation A { logout } " + Create)},\"variables\":{{\"n\":\"{name}\"}}}}",
            "{\"query\":\"{ version } { version }\"}", "{\"query\":\"subscription { events { sequence } }\"}",
            "{\"query\":\"{ __schema { types { name fields { name type { ofType { ofType { ofType { name } } } } } } } }\"}",
        ];
        var body = bodies[ordinal % bodies.Length];
        // The last ones are queries (possibly valid, e.g. introspection) or refused only at execution.
        return Raw(index, "bad request shape", FuzzCase.Shorten(body, 60), Encoding.UTF8.GetBytes(body), mustRefuse: ordinal % bodies.Length < bodies.Length - 1);
    }

    private FuzzCase Method(int index, int ordinal)
    {
        var name = NewName();
        var get = Uri.EscapeDataString(Create);
        var vars = Uri.EscapeDataString($"{{\"n\":\"{name}\"}}");
        var cases = new (string Method, string Detail, string? Query)[]
        {
            ("GET", "mutation over GET", $"query={get}&variables={vars}"),
            ("GET", "subscription over GET", "query=" + Uri.EscapeDataString("subscription { events { sequence } }")),
            ("GET", "20 KB query string", "query=" + Uri.EscapeDataString("{ " + string.Join(" ", Enumerable.Range(0, 2_000).Select(i => $"a{i}: version")) + " }")),
            ("GET", "variables not JSON", $"query={get}&variables=%7B%22n"),
            ("GET", "no query", "variables=" + vars),
            ("PUT", "PUT", null),
            ("DELETE", "DELETE", null),
            ("PATCH", "PATCH", null),
        };
        var (method, detail, query) = cases[ordinal % cases.Length];
        return new FuzzCase
        {
            Index = index, Kind = "method", Detail = detail, Via = method == "GET" ? Via.Get : Via.Post, Who = Who.Stranger,
            MustRefuse = true, Method = method, RawBody = method == "GET" ? null : Encoding.UTF8.GetBytes(Json(Create, $"{{\"n\":\"{name}\"}}")),
            RawQueryString = query,
        };
    }

    /// <summary>Fields nested 50 levels through the schema's own cycles: the depth limit, not a crash.</summary>
    private FuzzCase DeepSelection(int index, int ordinal)
    {
        var levels = 20 + ordinal % 4 * 10;
        var inner = "id";
        for (var i = 0; i < levels; i++) inner = (i % 2 == 0 ? "services { " : "application { ") + inner + " }";
        return Raw(index, "deep selection", $"{levels} levels", Json("{ applications { " + inner + " } }"), mustRefuse: true);
    }

    /// <summary>10,000 levels of braces, list literals, object literals or JSON variables.</summary>
    private FuzzCase DeepNesting(int index, int ordinal)
    {
        int[] depths = [50, 500, 10_000];
        var depth = depths[ordinal / 4 % depths.Length];
        var body = (ordinal % 4) switch
        {
            0 => Json("{ " + string.Concat(Enumerable.Repeat("a { ", depth)) + "b" + new string('}', depth) + " }"),
            1 => Json("mutation { createApplication(name: " + new string('[', depth) + "\"x\"" + new string(']', depth) + ") { id } }"),
            2 => Json("mutation { createApplication(name: " + string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth) + ") { id } }"),
            _ => Json(Create, "{\"n\":" + new string('[', depth) + "\"x\"" + new string(']', depth) + "}"),
        };
        string[] where = ["selections", "list literals", "object literals", "JSON variables"];
        return Raw(index, "deep nesting", $"{depth} levels of {where[ordinal % 4]}", body);
    }

    /// <summary>Thousands of aliases: of cheap fields, of a resolver that reads the database, of a refused mutation.</summary>
    private FuzzCase AliasBomb(int index, int ordinal)
    {
        int[] counts = [1_000, 3_000, 5_000];
        var count = counts[ordinal / 3 % counts.Length];
        var (field, mutation) = (ordinal % 3) switch
        {
            0 => ("__typename", false),
            1 => ("me { id username }", false),
            _ => ("createApplication(name: \"\\u0000\") { id }", true),
        };
        var body = (mutation ? "mutation { " : "{ ") + string.Join(" ", Enumerable.Range(0, count).Select(i => $"a{i}: {field}")) + " }";
        var json = Json(body);
        return Raw(index, "alias bomb", $"{count} aliases of {FuzzCase.Shorten(field, 30)} ({json.Length} B)", Encoding.UTF8.GetBytes(json), mustRefuse: mutation);
    }

    /// <summary>
    /// Fragments each spreading the previous one twice (issue 11, item 1): expanded, n fragments make 2^n fields.
    /// Sizes grow 2 by 2 up to <see cref="LargestFragmentChain"/>, then repeat at random among the largest.
    /// </summary>
    private FuzzCase FragmentChain(int index, int ordinal)
    {
        var n = ordinal < (LargestFragmentChain - 8) / 2 + 1 ? 8 + ordinal * 2 : rng.Next(LargestFragmentChain - 6, LargestFragmentChain + 1);
        // Expanded, the chain is 2^(n+1) fields: from 17 fragments on, more than GraphQL:MaxComplexity (250,000) allows.
        return Raw(index, "fragment chain", $"{n} fragments", Json(FragmentChainText(n)), mustRefuse: n >= 17);
    }

    private FuzzCase DirectiveBomb(int index, int ordinal)
    {
        int[] counts = [300, 1_000, 3_000];
        var count = counts[ordinal / 3 % counts.Length];
        var directive = (ordinal % 3) switch { 0 => "@include(if: true)", 1 => "@skip(if: false)", _ => "@fuzz" };
        return Raw(index, "directive bomb", $"{count} × {directive}",
            Json("{ version " + string.Concat(Enumerable.Repeat(directive + " ", count)) + "}"), mustRefuse: true);
    }

    /// <summary>Documents just under the body limit: whitespace, comments, one long literal, many fields.</summary>
    private FuzzCase HugeDocument(int index, int ordinal)
    {
        const int size = 60_000;
        var (detail, query, refused) = (ordinal % 4) switch
        {
            0 => ("60 KB of whitespace", "{" + new string(' ', size) + "version }", false),
            1 => ("60 KB of comments", "{ version\n" + string.Concat(Enumerable.Repeat("# fuzz fuzz fuzz fuzz fuzz fuzz\n", size / 32)) + "}", false),
            2 => ("60 KB name literal", "mutation { createApplication(name: \"" + new string('x', size) + "\") { id } }", true),
            _ => ("6,000 different fields", "{ " + string.Join(" ", Enumerable.Range(0, 6_000).Select(i => "f" + i)) + " }", true),
        };
        return Raw(index, "huge document", detail, Json(query), mustRefuse: refused);
    }

    private FuzzCase ManyOperations(int index, int ordinal)
    {
        var count = ordinal % 2 == 0 ? 500 : 2_000;
        var ops = string.Join(" ", Enumerable.Range(0, count).Select(i => $"mutation M{i} {{ createApplication(name: \"\\u0000{i}\") {{ id }} }}"));
        return Raw(index, "many operations", $"{count} operations", "{\"query\":" + HostileValues.Str(ops) + $",\"operationName\":\"M{count - 1}\"}}");
    }

    /// <summary>A valid createApplication with a token that is not one: UNAUTHENTICATED, nothing created.</summary>
    private FuzzCase ForgedToken(int index, int ordinal)
    {
        var token = victimToken();
        var flipped = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        string[] headers =
        [
            "Bearer " + flipped, "Bearer " + token[..(token.Length / 2)], "Bearer " + new string('A', 8_000), "Basic " + token,
            "Bearer", "Bearer  ", "bearer" + token, "Bearer " + token + " " + token, "Bearer " + token.ToUpperInvariant(), "Bearer " + Guid.Empty,
        ];
        var header = headers[ordinal % headers.Length];
        return Raw(index, "forged token", FuzzCase.Shorten(header, 40), Encoding.UTF8.GetBytes(Json(Create, $"{{\"n\":\"{NewName()}\"}}")),
            authorization: header);
    }

    /// <summary>Broken requests that ask for an event stream: the same refusals, as JSON.</summary>
    private FuzzCase Sse(int index, int ordinal)
    {
        var name = NewName();
        string[] bodies =
        [
            "{", "[]", "{\"query\":5}", Json(Create, $"{{\"n\":\"{name}\\ud800\"}}"),
            $"{{\"query\":{HostileValues.Str(Create)},\"variables\":{{\"n\":\"{name}\",\"n\":\"x\"}}}}",
            Json("subscription { " + string.Join(" ", Enumerable.Range(0, 1_000).Select(i => $"a{i}: events {{ sequence }}")) + " }"),
            Json("subscription($id: ID!) { serviceChanged(id: $id) { id } }", "{\"id\":\"00000000-0000-0000-0000-000000000000\"}"),
            Json("subscription { events(after: 1e309) { sequence } }"),
        ];
        var body = bodies[ordinal % bodies.Length];
        return Raw(index, "malformed over SSE", FuzzCase.Shorten(body, 60), Encoding.UTF8.GetBytes(body), accept: "text/event-stream", via: Via.Sse);
    }

    /// <summary>graphql-transport-ws messages a server must refuse by closing (4400…) or answering with an error.</summary>
    private FuzzCase WebSocket(int index, int ordinal)
    {
        var sub = "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { events { sequence } }\"}}";
        var cases = new (string Detail, bool Init, WsFrame[] Frames)[]
        {
            ("not JSON", false, [WsFrame.Text("{not json")]),
            ("not JSON after init", true, [WsFrame.Text("\u0000\u0001")]),
            ("a JSON array", true, [WsFrame.Text("[1,2,3]")]),
            ("no type", true, [WsFrame.Text("{\"id\":\"1\"}")]),
            ("unknown type", true, [WsFrame.Text("{\"type\":\"fuzz\"}")]),
            ("type is a number", true, [WsFrame.Text("{\"type\":5}")]),
            ("subscribe before init", false, [WsFrame.Text(sub)]),
            ("subscribe without id", true, [WsFrame.Text("{\"type\":\"subscribe\",\"payload\":{\"query\":\"{ version }\"}}")]),
            ("subscribe with a 60 KB id", true, [WsFrame.Text("{\"id\":\"" + new string('i', 60_000) + "\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ version }\"}}")]),
            ("subscribe without payload", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\"}")]),
            ("payload query not a string", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":[1]}}")]),
            ("duplicate id", true, [WsFrame.Text(sub), WsFrame.Text(sub)]),
            ("second init", true, [WsFrame.Text("{\"type\":\"connection_init\"}")]),
            ("binary frame", true, [new WsFrame([0xFF, 0x00, 0x7B], Binary: true)]),
            ("invalid UTF-8 text frame", true, [new WsFrame([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])]),
            ("message over the limit", true, [WsFrame.Text("{\"type\":\"ping\",\"payload\":\"" + new string('x', 70_000) + "\"}")]),
            ("10,000 nested arrays", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ version }\",\"variables\":{\"v\":"
                + new string('[', 10_000) + new string(']', 10_000) + "}}}")]),
            ("lone surrogate in the query", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ version }\\ud800\"}}")]),
            ("duplicate keys", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"type\":\"complete\",\"payload\":{\"query\":\"{ version }\"}}")]),
            ("init payload not an object", false, [WsFrame.Text("{\"type\":\"connection_init\",\"payload\":\"Bearer x\"}")]),
            ("init with a forged token", false, [WsFrame.Text("{\"type\":\"connection_init\",\"payload\":{\"authorization\":\"Bearer " + new string('A', 500) + "\"}}")]),
            ("fragment chain of 24", true, [WsFrame.Text("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":"
                + HostileValues.Str(FragmentChainText(24)) + "}}")]),
        };
        var (detail, init, frames) = cases[ordinal % cases.Length];
        return new FuzzCase
        {
            // The fragment chain shares its class (and so its circuit breaker) with the HTTP ones.
            Index = index, Kind = detail.StartsWith("fragment", StringComparison.Ordinal) ? "fragment chain" : "malformed WebSocket", Detail = detail,
            // A long operation id is odd but not wrong: it must get an answer (any), not necessarily a refusal.
            Via = Via.WebSocket, Who = Who.Stranger, MustRefuse = !detail.Contains("60 KB id", StringComparison.Ordinal),
            WsInit = init, Frames = frames,
        };
    }

    private static string FragmentChainText(int n)
    {
        var text = new StringBuilder("query { ...F" + n + " } fragment F0 on Query { version __typename }");
        for (var i = 1; i <= n; i++) text.Append($" fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}");
        return text.ToString();
    }
}
