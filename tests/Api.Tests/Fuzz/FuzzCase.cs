using System.Text;

namespace Conpaas.Api.Tests.Fuzz;

public enum Via { Post, Get, WebSocket, Sse }

/// <summary>
/// Who sends: nobody, the stranger (owns nothing: every id it names is someone else's or nobody's), the owner of the
/// victim's objects (attacking them with bad input), or the administrator (only for administrator-only fields).
/// </summary>
public enum Who { Anonymous, Stranger, Owner, Admin }

/// <summary>One WebSocket frame of a malformed conversation: text, or binary bytes.</summary>
public sealed record WsFrame(byte[] Bytes, bool Binary = false)
{
    public static WsFrame Text(string text) => new(Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// One hostile request. Either a GraphQL request (<see cref="Query"/> and raw <see cref="Variables"/> JSON) sent over
/// <see cref="Via"/>, or a raw HTTP body / raw WebSocket frames for the structural attacks.
/// </summary>
public sealed class FuzzCase
{
    public required int Index { get; init; }

    /// <summary>The class of attack (what the report groups by), e.g. "arg addNodes.nodes" or "fragment chain".</summary>
    public required string Kind { get; init; }

    public required string Detail { get; init; }
    public required Via Via { get; init; }
    public required Who Who { get; init; }

    /// <summary>A mutation or subscription that must be refused (an error, no data, no event).</summary>
    public bool MustRefuse { get; init; }

    /// <summary>The codes the first error may carry (besides RATE_LIMITED), when the case has a clear answer.</summary>
    public IReadOnlySet<string>? Expect { get; init; }

    public string? Query { get; init; }
    public string? Variables { get; init; }
    public bool Subscription { get; init; }

    public byte[]? RawBody { get; init; }
    public string? ContentType { get; init; } = "application/json";
    public string Method { get; init; } = "POST";
    public string Accept { get; init; } = "application/json";

    /// <summary>A raw query string for GET (the structural attacks); else GET carries <see cref="Query"/> and <see cref="Variables"/>.</summary>
    public string? RawQueryString { get; init; }
    public string? Authorization { get; init; }

    /// <summary>WebSocket: send connection_init (with the caller's token) before <see cref="Frames"/>.</summary>
    public bool WsInit { get; init; }
    public IReadOnlyList<WsFrame>? Frames { get; init; }

    /// <summary>The body a POST carries.</summary>
    public byte[] Body() => RawBody ?? Encoding.UTF8.GetBytes(
        "{\"query\":" + HostileValues.Str(Query ?? "") + (Variables is null ? "" : ",\"variables\":" + Variables) + "}");

    /// <summary>The request, shortened so that a report of thousands of them stays readable and replayable by eye.</summary>
    public override string ToString()
    {
        var what = Frames is { } frames
            ? string.Join(" | ", frames.Select(f => f.Binary ? $"<binary {f.Bytes.Length} B>" : Shorten(Encoding.UTF8.GetString(f.Bytes))))
            : Shorten(Encoding.UTF8.GetString(Body()));
        return $"#{Index} {Kind} [{Detail}] {Method} via {Via} as {Who}: {what}";
    }

    public static string Shorten(string text, int max = 240)
    {
        var visible = new StringBuilder();
        foreach (var c in text)
        {
            if (visible.Length >= max) break;
            visible.Append(char.IsControl(c) || c is '\u202e' or '\u2066' or '\u2069' or '\ufeff' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return text.Length > max ? $"{visible}… ({text.Length} chars)" : visible.ToString();
    }
}
