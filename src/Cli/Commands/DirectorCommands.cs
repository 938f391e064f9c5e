using System.CommandLine;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps cloud list, cps vms, cps credit, cps director version: what the Director runs on and what it charges.</summary>
internal static class DirectorCommands
{
    public static IEnumerable<Command> Build(Globals g) =>
    [
        new Command("cloud", "The clouds services can run on") { Clouds(g) },
        Vms(g),
        Credit(g),
        new Command("director", "The Director itself") { Version(g) },
    ];

    private static Command Clouds(Globals g)
    {
        var command = new Command("list", "List the clouds, which is the default, and whether each is usable");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ clouds { name driver isDefault healthy problems } }");
            ctx.Show(data, o => Output.Table(o, ["NAME", "DRIVER", "DEFAULT", "HEALTHY", "PROBLEMS"], data.Array("clouds").Select(c => new[]
            {
                c.Text("name"), c.Text("driver"), c.Text("isDefault") == "true" ? "yes" : "no", c.Text("healthy") == "true" ? "yes" : "no",
                string.Join("; ", c.Array("problems").Select(Output.Scalar)),
            })));
        });
        return command;
    }

    private static Command Vms(Globals g)
    {
        var application = ServiceCommands.ApplicationOption();
        var all = new Option<bool>("--all") { Description = "Every user's VMs (administrators only)" };
        var terminated = new Option<bool>("--terminated") { Description = "Include terminated VMs" };
        var command = new Command("vms", "List your VMs (ConPaaS list_resources)") { application, all, terminated };
        g.Handle(command, async (ctx, r) =>
        {
            var app = r.GetValue(application) is { } given ? await Lookup.Application(ctx, given) : null;
            var data = await ctx.Send("""
                query($a: ID, $all: Boolean, $t: Boolean) { vms(applicationId: $a, all: $all, includeTerminated: $t) {
                  id name role serviceRole state stateReason cloud address vpnAddress chargedHours createdAt
                  service { id name application { id name owner { username } } } } }
                """, new { a = app?.Id, all = r.GetValue(all), t = r.GetValue(terminated) });
            var vms = data.Array("vms");
            ctx.Show(data, o =>
            {
                if (vms.Count == 0) o.WriteLine("No VMs.");
                else ServiceCommands.VmTable(o, vms, withService: true, withOwner: r.GetValue(all));
            });
        });
        return command;
    }

    private static Command Credit(Globals g)
    {
        var ledger = new Option<bool>("--ledger") { Description = "Every grant and charge, oldest first, with the balance after it" };
        var command = new Command("credit", "Your credit, and when it runs out at the current rate") { ledger };
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("{ me { username credit creditRunsOutAt } }");
            var me = data["me"] ?? throw CliError.Refused($"Not logged in at {ctx.DirectorName} (cps login USER)", "UNAUTHENTICATED");
            if (!r.GetValue(ledger))
            {
                ctx.Show(data, o => Output.Fields(o, ("credit", me.Text("credit")), ("runs out", me.Time("creditRunsOutAt") ?? "never (nothing runs)")));
                return;
            }

            var entries = new JsonArray();
            string? after = null;
            while (true)
            {
                const int page = 1000;
                var rows = (await ctx.Send("""
                    query($after: String) { creditLedger(first: 1000, after: $after) { at amount balance reason vm { name } actor cursor } }
                    """, new { after })).Array("creditLedger");
                foreach (var row in rows) entries.Add(row.DeepClone());
                if (rows.Count < page) break;
                after = rows[^1].Text("cursor");
            }

            ctx.Show(new JsonObject { ["creditLedger"] = entries }, o => Output.Table(o, ["AT", "AMOUNT", "BALANCE", "REASON", "ACTOR"],
                entries.Select(e => new[] { e.Time("at"), e.Text("amount"), e.Text("balance"), e.Text("reason"), e.Text("actor") })));
        });
        return command;
    }

    private static Command Version(Globals g)
    {
        var command = new Command("version", "The Director's version (no sign-in needed)");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ version }");
            var cps = typeof(DirectorCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            ctx.Show(data, o => Output.Fields(o, ("director", ctx.DirectorName), ("version", data.Text("version")), ("cps", cps?.Split('+')[0])));
        });
        return command;
    }
}
