using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Cli;

/// <summary>How cps prints: aligned tables and "name  value" blocks for people, the raw data for scripts.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Json(TextWriter writer, JsonNode node) => writer.WriteLine(node.ToJsonString(Indented));

    /// <summary>Columns two spaces apart, each as wide as its widest cell; a missing value prints as "-".</summary>
    public static void Table(TextWriter writer, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var cells = rows.Select(r => r.Select(c => string.IsNullOrEmpty(c) ? "-" : c).ToArray()).ToList();
        var widths = headers.Select((h, i) => cells.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        writer.WriteLine(Line(headers, widths));
        foreach (var row in cells) writer.WriteLine(Line(row, widths));
    }

    /// <summary>One "name  value" line per field, names aligned.</summary>
    public static void Fields(TextWriter writer, params (string Name, string? Value)[] fields)
    {
        var width = fields.Max(f => f.Name.Length);
        foreach (var (name, value) in fields)
            writer.WriteLine($"{name.PadRight(width)}  {(string.IsNullOrEmpty(value) ? "-" : value)}");
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    /// <summary>A string (or any scalar) field of a JSON object, as text; null when absent.</summary>
    public static string? Text(this JsonNode? node, string field) => Scalar(node?[field]);

    public static string? Scalar(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        var other => other.ToJsonString(),
    };

    /// <summary>The items of a list field; an empty list when absent.</summary>
    public static IReadOnlyList<JsonNode> Array(this JsonNode? node, string field) =>
        (node?[field] as JsonArray ?? []).OfType<JsonNode>().ToList();

    /// <summary>A DateTime of the API in the reader's local time, to the second.</summary>
    public static string? Time(this JsonNode? node, string field) =>
        node.Text(field) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, out var at)
            ? at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : node.Text(field);

    /// <summary>A time as people type it (local time without an offset), as the API's ISO-8601; null stays null.</summary>
    public static string? ParseTime(string? text, string option) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.CurrentCulture, DateTimeStyles.AssumeLocal, out var at) ? at.ToString("O", CultureInfo.InvariantCulture)
        : throw CliError.BadUsage($"{option}: '{text}' is not a time (e.g. 2026-12-01T10:00Z, or 2026-12-01 10:00 in local time)");

    /// <summary>"backend=1 web=2" from a nodeCounts list.</summary>
    public static string NodeCounts(this JsonNode? service) =>
        string.Join(" ", service.Array("nodeCounts").Select(c => $"{c.Text("role")}={c.Text("count")}"));
}
