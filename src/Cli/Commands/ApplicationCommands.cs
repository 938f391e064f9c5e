using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps app list|create|rename|delete|show|watch: the caller's applications, named by id or by name.</summary>
internal static class ApplicationCommands
{
    public static Command Build(Globals g) => new("app", "Your applications: groups of services on one private network")
    {
        List(g), Create(g), Rename(g), Delete(g), Show(g), LiveCommands.WatchApplication(g),
        ManifestCommands.Apply(g), ManifestCommands.Export(g),
    };

    public static Argument<string> AppArgument() => new("APP") { Description = "The application's name or id" };

    private static Command List(Globals g)
    {
        var command = new Command("list", "List your applications");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ applications { id name network createdAt services { id state } } }");
            var apps = data.Array("applications");
            ctx.Show(data, o =>
            {
                if (apps.Count == 0)
                {
                    o.WriteLine("No existing applications.");
                    return;
                }

                Output.Table(o, ["NAME", "SERVICES", "RUNNING", "NETWORK", "CREATED", "ID"], apps.Select(a => new[]
                {
                    a.Text("name"),
                    a.Array("services").Count.ToString(),
                    a.Array("services").Count(s => s.Text("state") == "RUNNING").ToString(),
                    a.Text("network"),
                    a.Time("createdAt"),
                    a.Text("id"),
                }));
            });
        });
        return command;
    }

    /// <summary>What cps app show and cps app watch show of an application.</summary>
    public const string ShowFields = """
        fragment A on Application { id name network createdAt version owner { username }
          services { id sid name type state stateReason cloud subnet nodeCounts { role count } }
          vms { id name role serviceRole state stateReason cloud address vpnAddress chargedHours service { name } } }
        """;

    private static Command Show(Globals g)
    {
        var target = AppArgument();
        var asOf = new Option<string?>("--as-of")
        {
            Description = "Show it as it was at that time, rebuilt from the event log (e.g. 2026-12-01T10:00Z; local time without an offset)",
            HelpName = "TIME",
        };
        var command = new Command("show", "An application: its services, their nodes and its network (ConPaaS application get_info)") { target, asOf };
        g.Handle(command, async (ctx, r) =>
        {
            var at = Output.ParseTime(r.GetValue(asOf), "--as-of");
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var data = await ctx.Send("query($id: ID!, $at: DateTime) { application(id: $id, asOf: $at) { ...A } }" + ShowFields, new { id = app.Id, at });
            var shown = data["application"] ?? throw CliError.Refused(
                at is null ? $"Unknown application id {app.Id}" : $"Application '{app.Name}' did not exist at {r.GetValue(asOf)}", "NOT_FOUND");
            ctx.Show(data, o => Describe(o, shown, at is null ? null : r.GetValue(asOf)));
        });
        return command;
    }

    /// <summary>The application's fields, then its services, then its VMs.</summary>
    public static void Describe(TextWriter o, JsonNode app, string? asOf)
    {
        List<(string, string?)> fields =
        [
            ("name", app.Text("name")), ("id", app.Text("id")), ("owner", app["owner"].Text("username")),
            ("network", app.Text("network")), ("created", app.Time("createdAt")), ("version", app.Text("version")),
        ];
        if (asOf is not null) fields.Add(("as of", asOf));
        Output.Fields(o, [.. fields]);
        var services = app.Array("services");
        o.WriteLine();
        if (services.Count == 0) o.WriteLine("No services.");
        else
            Output.Table(o, ["SID", "SERVICE", "TYPE", "STATE", "NODES", "CLOUD", "SUBNET"], services.Select(s => new[]
            {
                s.Text("sid"), s.Text("name"), s.Text("type"),
                s.Text("state") + (s.Text("stateReason") is { } why ? $" ({why})" : ""),
                s.NodeCounts(), s.Text("cloud"), s.Text("subnet"),
            }));
        var vms = app.Array("vms");
        if (vms.Count == 0) return;
        o.WriteLine();
        Output.Table(o, ["NODE", "SERVICE", "ROLE", "STATE", "ADDRESS", "VPN ADDRESS"], vms.Select(vm => new[]
        {
            vm.Text("name"), vm["service"].Text("name"), vm.Text("serviceRole") ?? vm.Text("role")?.ToLowerInvariant(),
            vm.Text("state"), vm.Text("address"), vm.Text("vpnAddress"),
        }));
    }

    private static Command Create(Globals g)
    {
        var name = new Argument<string>("NAME") { Description = "The new application's name" };
        var command = new Command("create", "Create an application") { name };
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("mutation($n: String!) { createApplication(name: $n) { id name network createdAt } }",
                new { n = r.GetValue(name) });
            var app = data["createApplication"];
            ctx.Confirm(data, $"Application '{app.Text("name")}' created (id {app.Text("id")})");
        });
        return command;
    }

    private static Command Rename(Globals g)
    {
        var target = AppArgument();
        var name = new Argument<string>("NAME") { Description = "The new name" };
        var command = new Command("rename", "Rename an application") { target, name };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!, $n: String!) { renameApplication(id: $id, name: $n) { id name version } }",
                new { id = app.Id, n = r.GetValue(name) });
            ctx.Confirm(data, $"Application '{app.Name}' renamed to '{data["renameApplication"].Text("name")}'");
        });
        return command;
    }

    private static Command Delete(Globals g)
    {
        var target = AppArgument();
        var command = new Command("delete", "Delete an application, stopping and removing its services first") { target };
        g.Handle(command, async (ctx, r) =>
        {
            var app = await Lookup.Application(ctx, r.GetValue(target)!);
            var data = await ctx.Send("mutation($id: ID!) { deleteApplication(id: $id) }", new { id = app.Id });
            ctx.Confirm(data, $"Application '{app.Name}' deleted");
        });
        return command;
    }
}
