using System.Text.Json.Nodes;

namespace Conpaas.Cli;

internal sealed record ApplicationRef(string Id, string Name);

internal sealed record ServiceRef(string Id, string Name, string Application);

/// <summary>
/// Applications and services named as people name them: by id, or by name (services also by sid within -a APP),
/// with the cps-tools messages when a name matches none or several.
/// </summary>
internal static class Lookup
{
    public static async Task<ApplicationRef> Application(CommandContext ctx, string given)
    {
        if (Guid.TryParse(given, out _))
        {
            var data = await ById(ctx, "query($id: ID!) { application(id: $id) { id name } }", given, "application");
            return new ApplicationRef(data.Text("id")!, data.Text("name")!);
        }

        var all = (await ctx.Send("{ applications { id name } }")).Array("applications");
        var matches = Named(all, given);
        return matches.Count switch
        {
            0 => throw CliError.Refused($"Unknown application name '{given}'", "NOT_FOUND"),
            1 => new ApplicationRef(matches[0].Text("id")!, matches[0].Text("name")!),
            _ => throw CliError.Refused($"{matches.Count} applications match the application name '{given}'", "CONFLICT"),
        };
    }

    /// <summary>By id; by name or sid within <paramref name="application"/>; or by a name that only one of the caller's services has.</summary>
    public static async Task<ServiceRef> Service(CommandContext ctx, string given, string? application)
    {
        if (Guid.TryParse(given, out _))
        {
            var found = await ById(ctx, "query($id: ID!) { service(id: $id) { id name application { name } } }", given, "service");
            return Ref(found, found["application"].Text("name")!);
        }

        if (application is not null)
        {
            var app = await Application(ctx, application);
            var data = await ctx.Send("query($id: ID!) { application(id: $id) { services { id sid name } } }", new { id = app.Id });
            var services = data["application"].Array("services");
            var matches = int.TryParse(given, out var sid)
                ? services.Where(s => s.Text("sid") == sid.ToString()).ToList()
                : Named(services, given);
            return matches.Count switch
            {
                0 => throw CliError.Refused($"Unknown service name '{given}' in application '{app.Name}'", "NOT_FOUND"),
                1 => Ref(matches[0], app.Name),
                _ => throw CliError.Refused(
                    $"{matches.Count} services match the service name '{given}' in application '{app.Name}': give the service's sid or id",
                    "CONFLICT"),
            };
        }

        var everything = (await ctx.Send("{ applications { name services { id name } } }")).Array("applications");
        var named = everything.SelectMany(a => Named(a.Array("services"), given).Select(s => Ref(s, a.Text("name")!))).ToList();
        return named.Count switch
        {
            0 => throw CliError.Refused($"Unknown service name '{given}'", "NOT_FOUND"),
            1 => named[0],
            _ => throw CliError.Refused(
                $"{named.Count} services match the service name '{given}': name the application with -a, or give the service's id",
                "CONFLICT"),
        };
    }

    /// <summary>The object with that id; a missing one (null or NOT_FOUND) is "Unknown application id …".</summary>
    private static async Task<JsonNode> ById(CommandContext ctx, string query, string id, string field)
    {
        JsonNode? found;
        try
        {
            found = (await ctx.Send(query, new { id }))[field];
        }
        catch (CliError e) when (e.Code == "NOT_FOUND")
        {
            found = null;
        }

        return found ?? throw CliError.Refused($"Unknown {field} id {id}", "NOT_FOUND");
    }

    /// <summary>Exact matches if there are any, else matches ignoring case and surrounding blanks (as the Director compares names).</summary>
    private static List<JsonNode> Named(IReadOnlyList<JsonNode> items, string name)
    {
        var nodes = items.ToList();
        var exact = nodes.Where(n => n.Text("name") == name).ToList();
        return exact.Count > 0
            ? exact
            : nodes.Where(n => string.Equals(n.Text("name")?.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
    }

    private static ServiceRef Ref(JsonNode service, string application) =>
        new(service.Text("id")!, service.Text("name")!, application);
}
