using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Conpaas.Api.Tests.Fuzz;

/// <summary>
/// One argument value as raw JSON text (raw, because some attacks cannot be written by a serializer: 1e309, duplicate
/// keys). <see cref="Refusal"/> is the code a request carrying it must get whatever the other arguments are (null
/// when the value may be acceptable, e.g. an empty optional name).
/// </summary>
public sealed record Hostile(string Json, string Label, string? Refusal)
{
    public const string InvalidInput = "INVALID_INPUT";
    public const string NotFound = "NOT_FOUND";

    public bool Refused => Refusal is not null;
}

/// <summary>The objects of the victim, whose ids the stranger uses; the owner attacks them with bad input.</summary>
public sealed record FuzzWorld(
    string OwnerUserId, string OwnerName, string AppId, string RunningServiceId, string IdleServiceId,
    IReadOnlyList<string> VmIds, string StrangerName)
{
    public IReadOnlyList<string> VictimIds => [OwnerUserId, AppId, RunningServiceId, IdleServiceId, .. VmIds];
}

/// <summary>Pools of hostile values per GraphQL input type.</summary>
public static class HostileValues
{
    public const int BigString = 60_000;
    private const string Nil = "00000000-0000-0000-0000-000000000000";

    private static readonly JsonSerializerOptions Escaped = new() { Encoder = JavaScriptEncoder.Default };
    private static readonly JsonSerializerOptions RawUtf8 = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON string: non-ASCII either escaped (\u202e) or sent as raw UTF-8, as different clients do.</summary>
    public static string Str(string value, bool raw = false) => JsonSerializer.Serialize(value, raw ? RawUtf8 : Escaped);

    private static Hostile S(string value, string label, string? refusal = null, bool raw = false) => new(Str(value, raw), label, refusal);

    /// <summary>The nil id in every spelling Guid.Parse accepts.</summary>
    public static readonly string[] NilSpellings =
    [
        Nil, Nil.Replace("-", ""), "{" + Nil + "}", "(" + Nil + ")",
        "{0x00000000,0x0000,0x0000,{0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00}}", " " + Nil + " ",
    ];

    /// <summary>Wrong JSON types for any scalar: variable coercion must refuse them.</summary>
    private static readonly Hostile[] WrongShapes =
    [
        new("{}", "object", Hostile.InvalidInput),
        new("{\"a\":{\"b\":[1,2,{\"c\":null}]}}", "nested object", Hostile.InvalidInput),
        new("[[\"x\"]]", "nested array", Hostile.InvalidInput),
    ];

    /// <summary>Values every string argument must refuse (NUL anywhere), per the issue: INVALID_INPUT.</summary>
    private static IEnumerable<Hostile> NulStrings(Random rng) =>
    [
        S("\0", "NUL", Hostile.InvalidInput),
        S("fz\0name", "NUL inside", Hostile.InvalidInput),
        S(new string('a', rng.Next(1, 200)) + "\0", "NUL at the end", Hostile.InvalidInput),
        S("\u202e\0\u0007", "NUL, bidi and bell", Hostile.InvalidInput, raw: true),
        // A serializer cannot write these: escaped lone surrogates must be refused as malformed (HTTP 400).
        new("\"fz\\ud800\"", "lone surrogate escape", Hostile.InvalidInput),
        new("\"\\udc00\\ud800x\"", "reversed surrogate escapes", Hostile.InvalidInput),
    ];

    /// <summary>Values a string argument may accept or refuse (with a code).</summary>
    private static IEnumerable<Hostile> OddStrings(Random rng) =>
    [
        S("", "empty"),
        S("   ", "spaces"),
        S("\t\r\n", "whitespace controls"),
        S("\u0001\u001b[31m\u007f\u0085", "control characters"),
        S("\u202egnp.exe", "bidi override (escaped)"),
        S("abc\u202edef\u2066x\u2069", "bidi override (raw UTF-8)", raw: true),
        S("\ufeff\u200b\u200d", "BOM and zero-width", raw: true),
        S("cafe\u0301", "decomposed café", raw: true),
        S("\u0430dmin", "Cyrillic a", raw: true),
        S("👾🏳️‍🌈", "emoji", raw: true),
        S("' OR '1'='1' --", "SQL"),
        S("${jndi:ldap://x/a} %s%n {{7*7}} <script>", "templates"),
        S("../../../../etc/passwd", "path"),
        S(new string('x', 257), "257 characters"),
        S(new string('x', BigString), "60 KB string"),
        S(RandomText(rng, BigString / 4), "15 KB random Unicode", raw: rng.Next(2) == 0),
        S(new string('\u202e', 20_000), "20,000 bidi overrides", raw: true),
        new("12345", "number for a string", Hostile.InvalidInput),
        new("true", "boolean for a string", Hostile.InvalidInput),
    ];

    public static IReadOnlyList<Hostile> Strings(Random rng) => [.. NulStrings(rng), .. OddStrings(rng), .. WrongShapes];

    /// <summary>Ids: the stranger must get NOT_FOUND for all of them (the victim's ids included).</summary>
    public static IReadOnlyList<Hostile> Ids(FuzzWorld world, Random rng)
    {
        var victim = world.VictimIds[rng.Next(world.VictimIds.Count)];
        var g = Guid.Parse(victim);
        return
        [
            .. NilSpellings.Select(n => S(n, "nil id", Hostile.NotFound)),
            S(victim, "victim's id", Hostile.NotFound),
            S(g.ToString("N"), "victim's id without dashes", Hostile.NotFound),
            S(g.ToString("B").ToUpperInvariant(), "victim's id in braces, upper case", Hostile.NotFound),
            S(RandomId(rng), "unknown id", Hostile.NotFound),
            S("ffffffff-ffff-ffff-ffff-ffffffffffff", "max id", Hostile.NotFound),
            S("not-an-id", "malformed id", "ANY"),
            S("", "empty id", "ANY"),
            S(victim + "\0", "id with NUL", "ANY"),
            S(victim + "' OR 1=1 --", "id with SQL", "ANY"),
            S(new string('0', BigString), "60 KB id", "ANY"),
            new("-1", "number for an id", "ANY"),
            new("1e309", "1e309 for an id", "ANY"),
            .. WrongShapes,
        ];
    }

    public static IReadOnlyList<Hostile> Ints() =>
    [
        new("2147483648", "2^31", Hostile.InvalidInput),
        new("-2147483649", "-2^31-1", Hostile.InvalidInput),
        new("9223372036854775808", "2^63", Hostile.InvalidInput),
        new("1e309", "1e309", Hostile.InvalidInput),
        new("-1e309", "-1e309", Hostile.InvalidInput),
        new("1.5", "fraction", Hostile.InvalidInput),
        new("\"7\"", "string for an Int", Hostile.InvalidInput),
        new("true", "boolean for an Int", Hostile.InvalidInput),
        .. WrongShapes,
        new("0", "0", null),
        new("-1", "-1", null),
        new("2147483647", "int max", null),
        new("-2147483648", "int min", null),
    ];

    public static IReadOnlyList<Hostile> Longs() =>
    [
        new("9223372036854775808", "2^63", Hostile.InvalidInput),
        new("1e309", "1e309", Hostile.InvalidInput),
        new("1.5", "fraction", Hostile.InvalidInput),
        new("\"abc\"", "letters for a Long", Hostile.InvalidInput),
        new("true", "boolean for a Long", Hostile.InvalidInput),
        .. WrongShapes,
        new("-1", "-1", null),
        new("0", "0", null),
        new("9223372036854775807", "long max", null),
    ];

    public static IReadOnlyList<Hostile> Booleans() =>
    [
        new("\"true\"", "string for a Boolean", Hostile.InvalidInput),
        new("1", "number for a Boolean", Hostile.InvalidInput),
        .. WrongShapes,
        new("true", "true", null),
        new("false", "false", null),
    ];

    public static IReadOnlyList<Hostile> DateTimes() =>
    [
        S("not a date", "not a date", Hostile.InvalidInput),
        S("2026-13-45T25:61:00Z", "impossible date", Hostile.InvalidInput),
        S("2026-12-03T00:00:00Z\0", "date with NUL", Hostile.InvalidInput),
        new("1700000000", "number for a DateTime", Hostile.InvalidInput),
        .. WrongShapes,
        S("0001-01-01T00:00:00+00:00", "year 1", null),
        S("9999-12-31T23:59:59+14:00", "year 9999 +14:00", null),
        S("1970-01-01T00:00:00Z", "epoch", null),
    ];

    public static IReadOnlyList<Hostile> Enums(IReadOnlyList<string> values) =>
    [
        S("ROOT", "unknown enum value", Hostile.InvalidInput),
        S(values.Count > 0 ? values[0].ToLowerInvariant() : "x", "lower-case enum value", Hostile.InvalidInput),
        new("0", "number for an enum", Hostile.InvalidInput),
        .. WrongShapes,
        .. values.Select(v => S(v, v, null)),
    ];

    /// <summary>A list argument of counts: overflowing sums, negative counts, huge lists (under the body limit).</summary>
    public static IReadOnlyList<Hostile> CountLists(Random rng) =>
    [
        new("[{\"count\":2147483647},{\"count\":1}]", "counts overflowing Int", Hostile.InvalidInput),
        new("[{\"count\":2147483647},{\"count\":2147483647},{\"count\":2}]", "counts overflowing twice", Hostile.InvalidInput),
        new("[{\"count\":-1}]", "negative count", Hostile.InvalidInput),
        new("[{\"count\":-2147483648},{\"count\":-2147483648}]", "counts underflowing", Hostile.InvalidInput),
        new("[" + string.Join(",", Enumerable.Repeat("{\"count\":2147483647}", 2_500)) + "]", "2,500 maximal counts", Hostile.InvalidInput),
        new("[{\"count\":1},null]", "null element", Hostile.InvalidInput),
        new("[{\"count\":1,\"bogus\":true}]", "unknown field", Hostile.InvalidInput),
        new("[{}]", "missing count", Hostile.InvalidInput),
        new("[{\"count\":1,\"count\":2147483647},{\"count\":1}]", "duplicate count key", "ANY"),
        new("[{\"count\":1,\"role\":\"\\u0000\"}]", "NUL role", Hostile.InvalidInput),
        new("[{\"count\":1,\"cloud\":\"\\u0000\"}]", "NUL cloud", Hostile.InvalidInput),
        new("[{\"count\":1,\"cloud\":\"   \"}]", "blank cloud", Hostile.InvalidInput),
        new("[{\"count\":1,\"role\":\"  \"}]", "blank role", Hostile.InvalidInput),
        new("[{\"count\":1,\"cloud\":\"nowhere-" + rng.Next(1000) + "\"}]", "unknown cloud", "ANY"),
        new("[]", "empty list", null),
        new("[{\"count\":0}]", "zero count", null),
    ];

    /// <summary>An id nobody has, drawn from the run's Random so that a replay sends the same one.</summary>
    private static string RandomId(Random rng)
    {
        var bytes = new byte[16];
        rng.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    private static string RandomText(Random rng, int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var c = rng.Next(0x20, 0x2FFF);
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            text.Append((char)c);
        }

        return text.ToString();
    }
}
