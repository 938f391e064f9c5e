using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Files;

namespace Conpaas.Domain.Manifests;

/// <summary>
/// A ConPaaS manifest (cpsclient `manifest`, cps-tools `application manifest`): the application and its services as
/// they should be. Ids, when given (an exported manifest has them), identify what to rename; otherwise names do.
/// </summary>
public sealed record Manifest(string Application, Guid? ApplicationId, IReadOnlyList<ManifestService> Services, bool Prune, string Digest);

/// <summary>
/// One service: Start null leaves a service's running or stopped state as it is; counts are agents per role; Files
/// name uploaded files (an id or a name, resolved against the owner's files when planning), a kind left out is left as it is.
/// </summary>
public sealed record ManifestService(
    string Path, Guid? Id, string Type, string Name, string? Cloud, bool? Start, IReadOnlyDictionary<string, int>? StartupInstances,
    IReadOnlyDictionary<ServiceFileKind, string>? Files = null);

/// <summary>What is wrong with a manifest: where (a JSON path such as $.Services[1].Type) and why.</summary>
public sealed record ManifestProblem(string Path, string Message, ErrorCode Code = ErrorCode.INVALID_INPUT);

public static class ManifestParser
{
    /// <summary>Size limit of a manifest's JSON text: the original's largest ready-made manifests are under 2 KB.</summary>
    public const int MaxBytes = 64 * 1024;
    public const int MaxServices = 64;

    /// <summary>
    /// The original's keys whose feature the Director does not have yet: refused by name rather than ignored, so a
    /// manifest never deploys something other than what it says.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NotSupported = new Dictionary<string, string>
    {
        ["Password"] = "setting a database password",
        ["Dump"] = "loading a database dump",
        ["VolumeStartup"] = "volumes",
        ["StartRole"] = "choosing the role a service starts with",
    };

    private static readonly string[] TopKeys = ["Application", "ApplicationId", "Services", "prune"];
    /// <summary>The keys that name a service's uploaded files, as the original spelled them.</summary>
    public static readonly IReadOnlyDictionary<ServiceFileKind, string> FileKeys = new Dictionary<ServiceFileKind, string>
    {
        [ServiceFileKind.STARTUP_SCRIPT] = "StartupScript",
        [ServiceFileKind.ARCHIVE] = "Archive",
    };

    private static readonly string[] ServiceKeys = ["Id", "Type", "ServiceName", "Cloud", "Start", "StartupInstances", .. FileKeys.Values];

    /// <summary>A manifest sent as JSON text (the original's upload): its size and syntax are checked first.</summary>
    public static (Manifest? Manifest, IReadOnlyList<ManifestProblem> Problems) Parse(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
            return (null, [new("$", $"The manifest is too large: at most {MaxBytes} bytes of JSON")]);
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            return Parse(document.RootElement);
        }
        catch (JsonException ex)
        {
            return (null, [new("$", $"The manifest is not valid JSON: {ex.Message}")]);
        }
    }

    /// <summary>Every problem of the manifest, not only the first; the manifest only when there is none.</summary>
    public static (Manifest? Manifest, IReadOnlyList<ManifestProblem> Problems) Parse(JsonElement root)
    {
        var problems = new List<ManifestProblem>();
        var compact = JsonSerializer.Serialize(root);
        if (Encoding.UTF8.GetByteCount(compact) > MaxBytes)
            return (null, [new("$", $"The manifest is too large: at most {MaxBytes} bytes of JSON")]);
        if (root.ValueKind != JsonValueKind.Object)
            return (null, [new("$", "The manifest must be a JSON object with 'Application' and 'Services'")]);

        CheckKeys(root, "$", TopKeys, problems);
        var name = RequiredName(root, "$", "Application", problems);
        var applicationId = OptionalId(root, "$", "ApplicationId", problems);
        var prune = root.TryGetProperty("prune", out var p) ? Bool(p, "$.prune", problems) ?? false : false;

        var services = new List<ManifestService>();
        if (root.TryGetProperty("Services", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array)
                problems.Add(new("$.Services", "'Services' must be a list of services"));
            else if (list.GetArrayLength() > MaxServices)
                problems.Add(new("$.Services", $"Too many services: {list.GetArrayLength()}, at most {MaxServices}"));
            else
            {
                var i = 0;
                foreach (var entry in list.EnumerateArray())
                    if (ParseService(entry, $"$.Services[{i++}]", problems) is { } service)
                        services.Add(service);
            }
        }

        foreach (var clash in services.GroupBy(s => Text.Key(s.Name)).Where(g => g.Count() > 1))
            foreach (var s in clash.Skip(1))
                problems.Add(new(s.Path + ".ServiceName", $"Two services are named '{Text.Quote(s.Name)}': give each its own ServiceName"));
        foreach (var clash in services.Where(s => s.Id is not null).GroupBy(s => s.Id).Where(g => g.Count() > 1))
            foreach (var s in clash.Skip(1))
                problems.Add(new(s.Path + ".Id", $"Two services have the id {s.Id}"));

        if (problems.Count > 0) return (null, problems);
        return (new Manifest(name!, applicationId, services, prune, Digest(compact)), problems);
    }

    /// <summary>SHA-256 of the manifest as compact JSON (hex): what every event of an apply carries.</summary>
    public static string Digest(string compactJson) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(compactJson)));

    private static ManifestService? ParseService(JsonElement entry, string path, List<ManifestProblem> problems)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new(path, "A service must be a JSON object with at least 'Type'"));
            return null;
        }

        var before = problems.Count;
        CheckKeys(entry, path, ServiceKeys, problems);
        var id = OptionalId(entry, path, "Id", problems);
        ServiceType? type = null;
        if (!entry.TryGetProperty("Type", out var t))
            problems.Add(new(path + ".Type", "Missing required field: 'Type'"));
        else if (t.ValueKind != JsonValueKind.String || ServiceTypes.Find(t.GetString()) is not { } found)
        {
            var unknown = ServiceTypes.Unknown(t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText());
            problems.Add(new(path + ".Type", unknown.Message, unknown.Code));
        }
        else type = found;

        var name = entry.TryGetProperty("ServiceName", out _) ? RequiredName(entry, path, "ServiceName", problems) : null;
        string? cloud = null;
        if (entry.TryGetProperty("Cloud", out var c))
        {
            if (c.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(c.GetString()))
                problems.Add(new(path + ".Cloud", "'Cloud' must be a cloud's name: leave it out for the default cloud"));
            else cloud = c.GetString()!.Trim();
        }

        var start = entry.TryGetProperty("Start", out var s) ? Bool(s, path + ".Start", problems) : null;
        var counts = type is not null && entry.TryGetProperty("StartupInstances", out var si)
            ? Counts(si, path + ".StartupInstances", type, problems)
            : null;

        var files = new Dictionary<ServiceFileKind, string>();
        foreach (var (kind, key) in FileKeys)
            if (entry.TryGetProperty(key, out var f) && FileReference(f, $"{path}.{key}", problems) is { } reference)
                files[kind] = reference;

        return problems.Count > before || type is null
            ? null
            // No name: ConPaaS's default, as addService gives.
            : new ManifestService(path, id, type.Name, name ?? $"New {type.Name} service", cloud, start, counts, files);
    }

    /// <summary>
    /// An uploaded file's id or name. The original took a URL there; the Director fetches no URL a user gives it (it
    /// would reach whatever its own network reaches), so a URL is refused with what to do instead.
    /// </summary>
    private static string? FileReference(JsonElement value, string path, List<ManifestProblem> problems)
    {
        var key = path[(path.LastIndexOf('.') + 1)..];
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            problems.Add(new(path, $"'{key}' must name one of your uploaded files: its id or its name"));
            return null;
        }

        var reference = Text.Normal(value.GetString()!);
        if (reference.Contains("://"))
        {
            problems.Add(new(path, $"'{key}' names an uploaded file, not a URL ('{Text.Quote(reference)}'): the Director does not fetch URLs. " +
                                   "Upload the file first (uploadFile), then give its id or name here"));
            return null;
        }

        return reference;
    }

    private static Dictionary<string, int>? Counts(JsonElement value, string path, ServiceType type, List<ManifestProblem> problems)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new(path, "'StartupInstances' must be an object of role names and agent counts, e.g. {\"backend\": 2}"));
            return null;
        }

        var counts = new Dictionary<string, int>();
        long total = 0;
        foreach (var role in value.EnumerateObject())
        {
            var at = $"{path}.{role.Name}";
            if (type.Role(role.Name) is not { } known)
            {
                problems.Add(new(at, $"Wrong node type '{Text.Quote(role.Name)}' for service type '{type.Name}'. Roles: [{string.Join(", ", type.Roles.Select(r => r.Name))}]"));
                continue;
            }

            if (role.Value.ValueKind != JsonValueKind.Number || !role.Value.TryGetInt32(out var count) || count < 0)
            {
                problems.Add(new(at, $"Invalid number of nodes {Text.Quote(role.Value.GetRawText())}"));
                continue;
            }

            // ConPaaS: a service keeps the nodes it starts with (removeNodes never goes below them).
            if (count < known.InitialCount)
            {
                problems.Add(new(at, $"A {type.Name} service has at least {known.InitialCount} '{known.Name}' node(s)"));
                continue;
            }

            total += count;
            counts[known.Name] = count;
        }

        if (total > Services.ServiceRules.MaxNodesPerRequest)
            problems.Add(new(path, $"Invalid number of nodes {total}: at most {Services.ServiceRules.MaxNodesPerRequest} per service"));
        return counts;
    }

    private static void CheckKeys(JsonElement obj, string path, string[] known, List<ManifestProblem> problems)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (known.Contains(property.Name)) continue;
            problems.Add(NotSupported.TryGetValue(property.Name, out var feature)
                ? new($"{path}.{property.Name}", $"'{property.Name}' is not supported by this Director yet ({feature}): remove it from the manifest")
                : new($"{path}.{Text.Quote(property.Name)}", $"Unknown key '{Text.Quote(property.Name)}'. Known keys: [{string.Join(", ", known)}]"));
        }
    }

    private static string? RequiredName(JsonElement obj, string path, string key, List<ManifestProblem> problems)
    {
        if (!obj.TryGetProperty(key, out var value))
        {
            problems.Add(new($"{path}.{key}", $"Missing required field: '{key}'"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            problems.Add(new($"{path}.{key}", $"'{key}' must be a string"));
            return null;
        }

        if (Text.CheckName(key, value.GetString()) is { } bad)
        {
            problems.Add(new($"{path}.{key}", bad.Message));
            return null;
        }

        return Text.Normal(value.GetString()!);
    }

    private static Guid? OptionalId(JsonElement obj, string path, string key, List<ManifestProblem> problems)
    {
        if (!obj.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind == JsonValueKind.String && Guid.TryParse(value.GetString(), out var id) && id != Guid.Empty) return id;
        problems.Add(new($"{path}.{key}", $"'{key}' must be an id as the Director gives them (leave it out to match by name)"));
        return null;
    }

    /// <summary>true/false, or the original's 1/0.</summary>
    private static bool? Bool(JsonElement value, string path, List<ManifestProblem> problems)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1: return n == 1;
            default:
                problems.Add(new(path, $"'{path[(path.LastIndexOf('.') + 1)..]}' must be true or false (or 1 or 0)"));
                return null;
        }
    }
}
