using System.Text.Json;
using System.Text.Unicode;
using Conpaas.Api.GraphQL;

namespace Conpaas.Api.Transport;

/// <summary>
/// JSON as the transports accept it (request bodies, GET parameters, WebSocket messages): valid UTF-8, no key twice
/// in one object, no escaped lone surrogate ("\ud800"), at most 64 levels. Anything else is the client's error, told
/// as such, instead of an exception deep in a resolver (issue 11 found empty 500s for all three).
/// </summary>
internal static class RequestJson
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>The parsed document, or null and why not (in words for the client).</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8, out string? problem)
    {
        if (!Utf8.IsValid(utf8.Span))
        {
            problem = "not valid UTF-8";
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Strict);
        }
        catch (JsonException ex)
        {
            problem = $"not JSON ({Quoted.InMessage(ex.Message)})";
            return null;
        }

        if (!ValidStrings(document.RootElement))
        {
            document.Dispose();
            problem = "a string holds an escaped lone surrogate (such as \\ud800), which is not text";
            return null;
        }

        problem = null;
        return document;
    }

    /// <summary>Escapes are decoded only when a string is read: read each one now, where a bad one is the client's error.</summary>
    private static bool ValidStrings(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    element.GetString();
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                        if (!ValidStrings(item)) return false;
                    return true;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name; // keys are strings too
                        if (!ValidStrings(property.Value)) return false;
                    }

                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
