using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps admin users|user create|credit|audit (cps-tools `user list/add_credit`, cpsadduser): administrators only; the
/// Director refuses everyone else (FORBIDDEN).
/// </summary>
internal static class AdminCommands
{
    public static Command Build(Globals g) => new("admin", "Administration: users, credit, the audit log (administrators only)")
    {
        Users(g), new Command("user", "User accounts") { CreateUser(g) }, Credit(g), Audit(g),
    };

    private static Command Users(Globals g)
    {
        var credit = new Option<bool>("--credit") { Description = "Show each user's credit and when it runs out" };
        var command = new Command("users", "List every user") { credit };
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("{ users { id username email firstName lastName affiliation role credit creditRunsOutAt createdAt } }");
            var users = data.Array("users");
            ctx.Show(data, o =>
            {
                List<string> headers = ["USERNAME", "EMAIL", "ROLE", "CREATED"];
                if (r.GetValue(credit)) headers.AddRange(["CREDIT", "RUNS OUT"]);
                Output.Table(o, headers, users.Select(u =>
                {
                    List<string?> row = [u.Text("username"), u.Text("email"), u.Text("role"), u.Time("createdAt")];
                    if (r.GetValue(credit)) row.AddRange([u.Text("credit"), u.Time("creditRunsOutAt")]);
                    return row;
                }));
            });
        });
        return command;
    }

    private static Command CreateUser(Globals g)
    {
        var input = new RegisterInputOptions("The new username", "The user's",
            new Option<string?>("--password", "-p") { Description = "The user's password (else $CPS_PASSWORD, else asked for without echo)" },
            "Initial credit (default: the Director's maximum)");
        var admin = new Option<bool>("--admin") { Description = "An administrator, not a user" };
        var command = new Command("create", "Create an account (cpsadduser)") { admin };
        input.AddTo(command);
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("""
                mutation($input: RegisterInput!, $role: Role) { createUser(input: $input, role: $role) { id username email role credit } }
                """, new { input = input.Input(ctx, r), role = r.GetValue(admin) ? "ADMIN" : "USER" });
            var created = data["createUser"];
            ctx.Confirm(data, $"User {created.Text("username")} ({created.Text("role")}) created with {created.Text("credit")} credit");
        });
        return command;
    }

    private static Command Credit(Globals g)
    {
        var user = new Argument<string>("USER") { Description = "The username" };
        var amount = new Argument<int>("AMOUNT") { Description = "Credit to grant; negative takes it away (never below 0)" };
        var reason = new Option<string>("--reason", "-r") { Description = "Why (the user's credit ledger shows it)", Required = true };
        var command = new Command("credit", "Grant credit to a user, or take it away (cps-tools user add_credit)") { user, amount, reason };
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("""
                mutation($u: String!, $a: Int!, $r: String!) { grantCredit(username: $u, amount: $a, reason: $r) { username credit } }
                """, new { u = r.GetValue(user), a = r.GetValue(amount), r = r.GetValue(reason) });
            var granted = data["grantCredit"];
            ctx.Confirm(data, $"User {granted.Text("username")} now has {granted.Text("credit")} credit");
        });
        return command;
    }

    private static Command Audit(Globals g)
    {
        var user = new Option<string?>("--user", "-u") { Description = "Events caused by or concerning this username", HelpName = "USER" };
        var application = new Option<string?>("--application", "-a") { Description = "Events of this application (its id, or a name of yours)", HelpName = "APP" };
        var types = new Option<string[]>("--type", "-t")
        {
            Description = "Only events of this type (e.g. ServiceStarted); repeat for several",
            HelpName = "TYPE",
            AllowMultipleArgumentsPerToken = false,
        };
        var from = new Option<string?>("--from") { Description = "From this time (e.g. 2026-12-01 or 2026-12-01T10:00Z; local time without an offset)", HelpName = "TIME" };
        var to = new Option<string?>("--to") { Description = "Until this time", HelpName = "TIME" };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many events, oldest first", HelpName = "N", DefaultValueFactory = _ => 100 };
        var command = new Command("audit", "The audit log: every event (administrators), or those of your own objects") { user, application, types, from, to, limit };
        g.Handle(command, async (ctx, r) =>
        {
            if (r.GetValue(limit) < 1) throw CliError.BadUsage($"--limit must be at least 1, not {r.GetValue(limit)}");
            var filter = new
            {
                username = r.GetValue(user),
                applicationId = r.GetValue(application) is { } app ? (Guid.TryParse(app, out _) ? app : (await Lookup.Application(ctx, app)).Id) : null,
                types = r.GetValue(types) is { Length: > 0 } t ? t : null,
                from = Output.ParseTime(r.GetValue(from), "--from"),
                to = Output.ParseTime(r.GetValue(to), "--to"),
            };
            var events = await ServiceCommands.Events(ctx, "auditLog(filter: $filter, first: $first, after: $after)", "$filter: AuditFilter",
                new() { ["filter"] = filter }, r.GetValue(limit));
            ctx.Show(new JsonObject { ["auditLog"] = new JsonObject { ["events"] = events } }, o => ServiceCommands.EventTable(o, events, withStream: true));
        });
        return command;
    }
}
