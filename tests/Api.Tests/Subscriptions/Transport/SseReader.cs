using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>One server-sent event: a comment (keep-alive) or a named event with its data.</summary>
public sealed record SseEvent(string? Event, string Data, bool IsComment)
{
    public JsonObject Json => JsonNode.Parse(Data)!.AsObject();
    public override string ToString() => IsComment ? ":" : $"event: {Event} data: {Data}";
}

/// <summary>Reads text/event-stream frames as they arrive, the way an EventSource parses them.</summary>
public sealed class SseReader(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The next frame (up to a blank line); null at the end of the stream.</summary>
    public async Task<SseEvent?> Read(TimeSpan? wait = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(wait ?? TimeSpan.FromSeconds(15));
        string? name = null;
        var data = new List<string>();
        var comment = false;
        var any = false;
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("no server-sent event in time");
            }

            if (line is null) return any ? new SseEvent(name, string.Join("\n", data), comment && name is null && data.Count == 0) : null;
            if (line.Length == 0)
            {
                if (!any) continue;
                return new SseEvent(name, string.Join("\n", data), comment && name is null && data.Count == 0);
            }

            any = true;
            if (line.StartsWith(':')) comment = true;
            else if (line.StartsWith("event:")) name = line["event:".Length..].TrimStart(' ');
            else if (line.StartsWith("data:")) data.Add(line["data:".Length..] is var d && d.StartsWith(' ') ? d[1..] : d);
        }
    }

    /// <summary>The next event that is not a keep-alive comment.</summary>
    public async Task<SseEvent> Next(TimeSpan? wait = null)
    {
        while (true)
        {
            var e = await Read(wait) ?? throw new Xunit.Sdk.XunitException("the stream ended");
            if (!e.IsComment) return e;
        }
    }
}
