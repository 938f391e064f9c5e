using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Conpaas.Cli;

/// <summary>
/// A manifest checked against the JSON Schema of the Director cps talks to (GET /manifest.schema.json) before it is
/// sent: an invalid one is refused as the Director would refuse it (INVALID_INPUT, every problem with its path), and
/// nothing reaches the Director. The schema is fetched each time: one small GET, and never stale after an upgrade.
/// </summary>
internal static class ManifestSchemaCheck
{
    public static async Task Check(CommandContext ctx, JsonNode manifest)
    {
        var text = await ctx.GetTextIfServed("manifest.schema.json");
        if (Build(text) is not var (schema, document))
        {
            // An older Director (or one whose dashboard answers every path with its page): it still checks on apply.
            ctx.Err.WriteLine($"warning: the Director at {ctx.DirectorName} serves no manifest schema: the manifest is sent unchecked (the Director checks it)");
            return;
        }

        var results = schema.Evaluate(JsonSerializer.SerializeToElement(manifest), new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return;
        // A failing "if" only chooses its branch; what failed is what has no failing detail below it.
        var failed = (results.Details ?? []).Where(d => !d.IsValid && !d.EvaluationPath.ToString().Split('/').Contains("if")).ToList();
        var problems = failed
            .Where(d => d.Errors is { Count: > 0 } || !failed.Any(below => below.EvaluationPath.ToString().StartsWith(d.EvaluationPath + "/", StringComparison.Ordinal)))
            .SelectMany(d => Problems(d, document, manifest))
            .Distinct();
        throw CliError.Refused("The manifest was not sent: it does not match the Director's schema: " + string.Join("; ", problems), "INVALID_INPUT");
    }

    /// <summary>The schema (and its JSON, for its descriptions), or null when the text is none: missing, or not a JSON Schema object.</summary>
    private static (JsonSchema, JsonNode)? Build(string? text)
    {
        if (text is null) return null;
        try
        {
            // A registry of its own: the global one refuses a second schema under the same base URI.
            return JsonNode.Parse(text) is JsonObject document
                ? (JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() }), document)
                : null;
        }
        catch (Exception ex) when (ex is JsonException or JsonSchemaException)
        {
            return null;
        }
    }

    /// <summary>
    /// "path: message", with the library's message in the Director's words where it has none that a person
    /// understands: a missing key, a key the schema does not have, a value out of a list, a key refused by name (its
    /// schema's description says why).
    /// </summary>
    private static IEnumerable<string> Problems(EvaluationResults result, JsonNode document, JsonNode manifest)
    {
        var path = Path(result.InstanceLocation.ToString());
        var at = At(document, Uri.UnescapeDataString(result.SchemaLocation.Fragment.TrimStart('#'))) as JsonObject;
        var (keyword, message) = result.Errors?.FirstOrDefault() ?? default;
        if (keyword == "required" && at?["required"] is JsonArray required && At(manifest, result.InstanceLocation.ToString()) is JsonObject instance)
            return required.Select(k => k!.GetValue<string>()).Where(k => !instance.ContainsKey(k)).Select(k => $"{path}.{k}: Missing required field: '{k}'");
        return [$"{path}: " + keyword switch
        {
            "" when result.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal) =>
                $"Unknown key '{result.InstanceLocation.ToString().Split('/')[^1]}'",
            "enum" when at?["enum"] is JsonArray values => $"Should be one of {string.Join(", ", values.Select(v => v?.ToJsonString()))}",
            null => at?["description"]?.GetValue<string>().TrimEnd('.') ?? "Not allowed here",
            _ => message,
        }];
    }

    /// <summary>
    /// The node a JSON Pointer names in the schema (/$defs/service/properties/Dump) or the manifest (/Services/0).
    /// JsonSchema.Net 8 adds segments of its own to some schema locations (…/then/0/…, …/propertyNames/StartupInstances):
    /// a segment the document does not have is passed over.
    /// </summary>
    private static JsonNode? At(JsonNode document, string pointer) =>
        pointer.Split('/').Skip(1).Select(k => k.Replace("~1", "/").Replace("~0", "~"))
            .Aggregate(document, (node, key) => node switch
            {
                JsonObject o when o[key] is { } child => child,
                JsonArray a when int.TryParse(key, out var i) && i >= 0 && i < a.Count && a[i] is { } item => item,
                _ => node,
            });

    /// <summary>A JSON Pointer (/Services/0/Type) as the Director's paths are written ($.Services[0].Type).</summary>
    private static string Path(string pointer) =>
        "$" + string.Concat(pointer.Split('/').Skip(1).Select(s => s.Replace("~1", "/").Replace("~0", "~"))
            .Select(s => s.Length > 0 && s.All(char.IsAsciiDigit) ? $"[{s}]" : $".{s}"));
}
