using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps service …: the services of your applications, named by id, or by name (or sid) with -a APP.</summary>
internal static class ServiceCommands
{
    /// <summary>The fields every service command shows.</summary>
    public const string Fields = """
        fragment S on Service { id sid name type state stateReason cloud subnet nodeCounts { role count } application { id name } }
        """;

    public static Command Build(Globals g) => new("service", "Services: php, java, mysql, xtreemfs, generic, helloworld")
    {
        Types(g), List(g), Add(g), ServiceLifecycle.Start(g), ServiceLifecycle.Stop(g), Remove(g), Rename(g),
        ServiceNodes.AddNodes(g), ServiceNodes.RemoveNodes(g), Info(g), History(g), LiveCommands.WatchService(g),
        FileCommands.ServiceFile(g),
    };

    public static Argument<string> ServiceArgument() => new("SERVICE") { Description = "The service's id, or its name (or sid with -a)" };

    public static Option<string?> ApplicationOption(bool required = false) => new("--application", "-a")
    {
        Description = "The application (name or id)",
        HelpName = "APP",
        Required = required,
    };

    public static Task<ServiceRef> Find(CommandContext ctx, ParseResult r, Argument<string> service, Option<string?> application) =>
        Lookup.Service(ctx, r.GetValue(service)!, r.GetValue(application));

    private static Command Types(Globals g)
    {
        var command = new Command("types", "The service types you can add, with their node roles (* marks the default role)");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ serviceTypes { name description roles { name isDefault initialCount } ports } }");
            ctx.Show(data, o => Output.Table(o, ["TYPE", "ROLES", "DESCRIPTION"], data.Array("serviceTypes").Select(t => new[]
            {
                t.Text("name"),
                string.Join(",", t.Array("roles").Select(role => role.Text("name") + (role.Text("isDefault") == "true" ? "*" : ""))),
                t.Text("description"),
            })));
        });
        return command;
    }

    private static Command List(Globals g)
    {
        var application = ApplicationOption();
        var command = new Command("list", "List the services of one application (-a) or of all of yours") { application };
        g.Handle(command, async (ctx, r) =>
        {
            // Lists of lists cost the most complexity: only the fields the table shows.
            const string services = "services { id sid name type state stateReason cloud nodeCounts { role count } }";
            JsonObject data;
            IReadOnlyList<JsonNode> apps;
            if (r.GetValue(application) is { } given)
            {
                var app = await Lookup.Application(ctx, given);
                data = await ctx.Send($"query($id: ID!) {{ application(id: $id) {{ id name {services} }} }}", new { id = app.Id });
                apps = data["application"] is { } one ? [one] : [];
            }
            else
            {
                data = await ctx.Send($"{{ applications {{ id name {services} }} }}");
                apps = data.Array("applications");
            }

            var rows = apps.SelectMany(a => a.Array("services").Select(s => (Application: a.Text("name"), Service: s))).ToList();
            ctx.Show(data, o =>
            {
                if (rows.Count == 0)
                {
                    o.WriteLine("No services.");
                    return;
                }

                Output.Table(o, ["APPLICATION", "SID", "NAME", "TYPE", "STATE", "NODES", "CLOUD", "ID"], rows.Select(row => new[]
                {
                    row.Application, row.Service.Text("sid"), row.Service.Text("name"), row.Service.Text("type"),
                    row.Service.Text("state"), row.Service.NodeCounts(), row.Service.Text("cloud"), row.Service.Text("id"),
                }));
            });
        });
        return command;
    }

    private static Command Add(Globals g)
    {
        var type = new Argument<string>("TYPE") { Description = "The service type (cps service types lists them)" };
        var application = ApplicationOption(required: true);
        var name = new Option<string?>("--name", "-n") { Description = "The service's name (default: New TYPE service)" };
        var command = new Command("add", "Add a service to an application (it starts with cps service start)") { type, application, name };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(application)!);
            var data = await ctx.Send("""
                mutation($a: ID!, $t: String!, $n: String) { addService(applicationId: $a, type: $t, name: $n) { ...S } }
                """ + Fields, new { a = app.Id, t = r.GetValue(type), n = r.GetValue(name) });
            var service = data["addService"];
            ctx.Confirm(data,
                $"Service '{service.Text("name")}' ({service.Text("type")}, sid {service.Text("sid")}) added to application '{app.Name}' (id {service.Text("id")})");
        });
        return command;
    }

    private static Command Remove(Globals g)
    {
        var service = ServiceArgument();
        var application = ApplicationOption();
        var command = new Command("remove", "Remove a service (it must be stopped)") { service, application };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await Find(ctx, r, service, application);
            var data = await ctx.Send("mutation($id: ID!) { removeService(id: $id) }", new { id = found.Id });
            ctx.Confirm(data, $"Service '{found.Name}' removed from application '{found.Application}'");
        });
        return command;
    }

    private static Command Rename(Globals g)
    {
        var service = ServiceArgument();
        var name = new Argument<string>("NAME") { Description = "The new name" };
        var application = ApplicationOption();
        var command = new Command("rename", "Rename a service") { service, name, application };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await Find(ctx, r, service, application);
            var data = await ctx.Send("mutation($id: ID!, $n: String!) { renameService(id: $id, name: $n) { ...S } }" + Fields,
                new { id = found.Id, n = r.GetValue(name) });
            ctx.Confirm(data, $"Service '{found.Name}' renamed to '{data["renameService"].Text("name")}'");
        });
        return command;
    }

    private static Command Info(Globals g)
    {
        var service = ServiceArgument();
        var application = ApplicationOption();
        var command = new Command("info", "A service's state and its nodes") { service, application };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await Find(ctx, r, service, application);
            var data = await ctx.Send("""
                query($id: ID!) { service(id: $id) { ...S createdAt version
                  nodes { id name role serviceRole state stateReason cloud address vpnAddress chargedHours } } }
                """ + Fields, new { id = found.Id });
            var s = data["service"] ?? throw CliError.Refused($"Unknown service id {found.Id}", "NOT_FOUND");
            ctx.Show(data, o =>
            {
                Output.Fields(o,
                    ("name", s.Text("name")), ("id", s.Text("id")), ("application", s["application"].Text("name")),
                    ("sid", s.Text("sid")), ("type", s.Text("type")),
                    ("state", s.Text("state") + (s.Text("stateReason") is { } why ? $" ({why})" : "")),
                    ("cloud", s.Text("cloud")), ("subnet", s.Text("subnet")), ("nodes wanted", s.NodeCounts()),
                    ("created", s.Time("createdAt")));
                var nodes = s.Array("nodes");
                if (nodes.Count == 0) return;
                o.WriteLine();
                VmTable(o, nodes, withService: false, withOwner: false);
            });
        });
        return command;
    }

    private static Command History(Globals g)
    {
        var service = ServiceArgument();
        var application = ApplicationOption();
        var command = new Command("history", "What happened to a service, oldest first, from the event log") { service, application };
        g.Handle(command, async (ctx, r) =>
        {
            var found = await Find(ctx, r, service, application);
            var events = await Events(ctx, "history(entityId: $id, first: $first, after: $after)", "$id: ID!", new() { ["id"] = found.Id });
            var data = new JsonObject { ["history"] = new JsonObject { ["events"] = events, ["nextCursor"] = null } };
            ctx.Show(data, o => EventTable(o, events, withStream: false));
        });
        return command;
    }

    /// <summary>Every event of a HistoryPage field (history, auditLog), page after page, up to <paramref name="limit"/>.</summary>
    /// <param name="field">the field with its arguments, using $first and $after</param>
    /// <param name="parameters">the declarations of the other variables, e.g. "$id: ID!" (or none: "")</param>
    public static async Task<JsonArray> Events(CommandContext ctx, string field, string parameters, Dictionary<string, object?> variables, int limit = int.MaxValue)
    {
        const int pageSize = 500;
        var events = new JsonArray();
        string? after = null;
        do
        {
            var page = (await ctx.Send($$"""
                query({{parameters}}{{(parameters.Length > 0 ? ", " : "")}}$first: Int, $after: String) { page: {{field}} {
                  events { sequence streamId version type at actor correlationId data } nextCursor } }
                """, new Dictionary<string, object?>(variables) { ["first"] = Math.Min(pageSize, limit - events.Count), ["after"] = after }))["page"];
            foreach (var e in page.Array("events")) events.Add(e.DeepClone());
            after = page.Text("nextCursor");
        } while (after is not null && events.Count < limit);

        return events;
    }

    public static void EventTable(TextWriter o, IEnumerable<JsonNode?> events, bool withStream)
    {
        List<string> headers = ["SEQUENCE", "AT", "ACTOR", "EVENT", "DETAILS"];
        if (withStream) headers.Insert(3, "STREAM");
        Output.Table(o, headers, events.Select(e =>
        {
            List<string?> row = [e.Text("sequence"), e.Time("at"), e.Text("actor"), e.Text("type"), Details(e?["data"])];
            if (withStream) row.Insert(3, e.Text("streamId"));
            return row;
        }));
    }

    /// <summary>An event's data in one short line: its plain fields, without the ids every event repeats.</summary>
    private static string Details(JsonNode? data)
    {
        if (data is not JsonObject fields) return "";
        var parts = fields
            .Where(f => f.Value is JsonValue && !f.Key.EndsWith("Id", StringComparison.Ordinal) && !f.Key.EndsWith("At", StringComparison.Ordinal) && f.Key != "at")
            .Select(f => $"{f.Key}={Output.Scalar(f.Value)}");
        var line = string.Join(" ", parts);
        return line.Length <= 100 ? line : line[..97] + "...";
    }

    public static void VmTable(TextWriter o, IEnumerable<JsonNode?> vms, bool withService, bool withOwner)
    {
        var headers = new List<string> { "NAME", "ROLE", "STATE", "CLOUD", "ADDRESS", "VPN ADDRESS", "HOURS" };
        if (withService) headers.InsertRange(1, ["APPLICATION", "SERVICE"]);
        if (withOwner) headers.Insert(1, "OWNER");
        Output.Table(o, headers, vms.Select(vm =>
        {
            var row = new List<string?>
            {
                vm.Text("name"),
                vm.Text("serviceRole") ?? vm.Text("role")?.ToLowerInvariant(),
                vm.Text("state") + (vm.Text("stateReason") is { } why && vm.Text("state") is "FAILED" or "LOST" ? $" ({why})" : ""),
                vm.Text("cloud"), vm.Text("address"), vm.Text("vpnAddress"), vm.Text("chargedHours"),
            };
            if (withService) row.InsertRange(1, [vm?["service"]?["application"].Text("name"), vm?["service"].Text("name")]);
            if (withOwner) row.Insert(1, vm?["service"]?["application"]?["owner"].Text("username"));
            return row;
        }));
    }
}
