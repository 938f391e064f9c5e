using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>cps cloud list, cps vms, cps credit, cps director version and check: what the Director runs on and what it charges.</summary>
internal static class DirectorCommands
{
    public static IEnumerable<Command> Build(Globals g) =>
    [
        new Command("cloud", "The clouds services can run on") { Clouds(g) },
        Vms(g),
        Credit(g),
        new Command("director", "The Director itself") { Version(g), Check(g) },
        Trust(g),
    ];

    private static Command Trust(Globals g)
    {
        var fingerprint = new Option<string?>("--fingerprint")
        {
            Description = "The CA's SHA-256 fingerprint as the Director's operator gave it (AA:BB:…); the CA is pinned only if it matches",
            HelpName = "SHA256",
        };
        var yes = new Option<bool>("--yes") { Description = "Pin the CA the Director presents without a fingerprint to compare (trust on first use)" };
        var command = new Command("trust", "Pin the Director's CA: cps then trusts it, and only it, for this Director's HTTPS") { fingerprint, yes };
        g.Handle(command, async (ctx, r) =>
        {
            var (pem, served) = await DirectorClient.FetchCa(ctx.Director, TimeSpan.FromSeconds(30), ctx.Cancellation);
            using var ca = X509Certificate2.CreateFromPem(pem);
            var actual = DirectorClient.Fingerprint(ca);
            // Over https the certificate the Director presented must come from the CA it serves: else someone is in between.
            if (served is not null && !DirectorClient.IssuedFor(served, ca, ctx.Director.IdnHost))
                throw CliError.Refused($"The certificate {ctx.DirectorName} presented was not issued by the CA it serves (SHA-256 {actual}) " +
                                       "for that host: someone may be in between; nothing was pinned", "UNTRUSTED");
            if (r.GetValue(fingerprint) is { } expected)
            {
                if (!string.Equals(Normalized(expected), Normalized(actual), StringComparison.Ordinal))
                    throw CliError.Refused($"The Director's CA has the SHA-256 fingerprint {actual}, not {expected}: nothing was pinned", "UNTRUSTED");
            }
            else if (!r.GetValue(yes))
            {
                throw CliError.BadUsage($"The Director's CA is {ca.Subject} with the SHA-256 fingerprint {actual}. Compare it with the one " +
                                        "the Director logged at its first start, then run: cps trust --fingerprint <it> (or --yes)");
            }

            ctx.Save(ctx.Settings with { TrustedCa = pem, TrustedCaDirector = ctx.DirectorName });
            ctx.Show(new JsonObject { ["director"] = ctx.DirectorName, ["subject"] = ca.Subject, ["fingerprint"] = actual },
                o => o.WriteLine($"Pinned the CA {ca.Subject} (SHA-256 {actual}) for {ctx.DirectorName}"));
        });
        return command;

        static string Normalized(string fingerprint) => fingerprint.Replace(":", "").Replace(" ", "").ToUpperInvariant();
    }

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

    private static Command Check(Globals g)
    {
        var command = new Command("check", "What the Director's check verb reports: database, CA, HTTPS certificate, clouds, VPN, clock (administrators only)");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ directorCheck { status name cause fix } }");
            var results = data.Array("directorCheck");
            ctx.Show(data, o => Output.Table(o, ["STATUS", "CHECK", "CAUSE", "FIX"],
                results.Select(c => new[] { c.Text("status"), c.Text("name"), c.Text("cause"), c.Text("fix") })));
            // Like the verb: a script sees a failed check in the exit code, after the whole report.
            if (results.Count(c => c.Text("status") == "ERROR") is > 0 and var errors)
                throw CliError.Refused($"{errors} of the Director's checks found an ERROR", "CHECK_FAILED");
        });
        return command;
    }

    private static Command Version(Globals g)
    {
        var command = new Command("version", "The Director's version (no sign-in needed)");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ version }");
            ctx.Show(data, o => Output.Fields(o, ("director", ctx.DirectorName), ("version", data.Text("version")), ("cps", VersionCommand.Client)));
        });
        return command;
    }
}
