using System.CommandLine;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>login, logout, whoami, register, passwd: who cps acts as, remembered in ~/.conpaas/cps.json.</summary>
internal static class UserCommands
{
    public static IEnumerable<Command> Build(Globals g) => [Login(g), Logout(g), WhoAmI(g), Register(g), Passwd(g)];

    private static Option<string?> PasswordOption() => new("--password", "-p")
    {
        Description = "The password (else $CPS_PASSWORD, else asked for without echo)",
    };

    private static Command Login(Globals g)
    {
        var user = new Argument<string?>("USER") { Description = "Your username (not with --sso)", Arity = ArgumentArity.ZeroOrOne };
        var password = PasswordOption();
        var sso = new Option<string?>("--sso") { Description = "Sign in in the browser with this identity provider of the Director" };
        var command = new Command("login", "Sign in and remember the session for the next commands") { user, password, sso };
        g.Handle(command, async (ctx, r) =>
        {
            var data = r.GetValue(sso) is { Length: > 0 } provider
                ? await SsoLogin.Run(ctx, provider)
                : await ctx.Send("""
                    mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt user { username role } } }
                    """, new { u = r.GetValue(user) ?? throw CliError.BadUsage("Give USER, or --sso PROVIDER"), p = ctx.Password(r.GetValue(password), confirm: false) });
            var session = data["login"] ?? data["ssoLogin"];
            // A CA pinned for this Director stays pinned.
            ctx.Save(ctx.Settings with
            {
                Director = ctx.DirectorName,
                Username = session?["user"].Text("username"),
                Token = session.Text("token"),
                ExpiresAt = DateTimeOffset.TryParse(session.Text("expiresAt"), out var until) ? until : null,
            });
            ctx.Show(data, o => o.WriteLine(
                $"Logged in as {session?["user"].Text("username")} at {ctx.DirectorName} until {session.Time("expiresAt")}"));
        });
        return command;
    }

    private static Command Logout(Globals g)
    {
        var command = new Command("logout", "End the session and forget its token");
        g.Handle(command, async (ctx, _) =>
        {
            if (!ctx.SignedIn)
            {
                ctx.Note($"Not logged in at {ctx.DirectorName}");
                return;
            }

            // The token is forgotten even when the Director cannot be told (it expires by itself).
            ctx.Save(ctx.Settings with { Token = null, ExpiresAt = null });
            var data = new JsonObject { ["logout"] = false };
            try
            {
                data = await ctx.Send("mutation { logout }");
            }
            catch (CliError e) when (e.Code == "UNAUTHENTICATED")
            {
                // Already expired or revoked: nothing left to end.
            }

            ctx.Confirm(data, $"Logged out of {ctx.DirectorName}");
        });
        return command;
    }

    private static Command WhoAmI(Globals g)
    {
        var command = new Command("whoami", "Who you are signed in as, and your credit");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ me { id username email role credit creditRunsOutAt createdAt } }");
            var me = data["me"] ?? throw CliError.Refused($"Not logged in at {ctx.DirectorName} (cps login USER)", "UNAUTHENTICATED");
            ctx.Show(data, o => Output.Fields(o,
                ("username", me.Text("username")),
                ("email", me.Text("email")),
                ("role", me.Text("role")),
                ("credit", me.Text("credit")),
                ("credit runs out", me.Time("creditRunsOutAt")),
                ("director", ctx.DirectorName)));
        });
        return command;
    }

    private static Command Register(Globals g)
    {
        var input = new RegisterInputOptions("The username to register", "Your", PasswordOption(),
            "Initial credit (at most the Director's maximum, its default)");
        var command = new Command("register", "Create an account (cps login USER signs in with it)");
        input.AddTo(command);
        g.Handle(command, async (ctx, r) =>
        {
            var data = await ctx.Send("""
                mutation($input: RegisterInput!) { register(input: $input) { id username email credit } }
                """, new { input = input.Input(ctx, r) });
            var registered = data["register"];
            ctx.Confirm(data,
                $"User {registered.Text("username")} registered with {registered.Text("credit")} credit at {ctx.DirectorName}; now: cps login {registered.Text("username")}");
        });
        return command;
    }

    private static Command Passwd(Globals g)
    {
        var password = new Option<string?>("--password", "-p") { Description = "The new password (else $CPS_PASSWORD, else asked for twice without echo)" };
        var old = new Option<string?>("--old") { Description = "The current password (else $CPS_OLD_PASSWORD, else asked for without echo)" };
        var first = new Option<bool>("--first")
        {
            Description = "Set a first password on an account an identity provider registered (it has none): within 10 minutes of cps login --sso",
        };
        var command = new Command("passwd", "Change your password; your other sessions end (this one stays)") { password, old, first };
        g.Handle(command, async (ctx, r) =>
        {
            ctx.RequireSignIn("changing the password");
            if (r.GetValue(first))
            {
                if (r.GetValue(old) is not null) throw CliError.BadUsage("--first sets a password on an account that has none: give no --old");
                var set = await ctx.Send("mutation($p: String!) { setPassword(newPassword: $p) }", new { p = ctx.Password(r.GetValue(password), confirm: true) });
                ctx.Confirm(set, $"Password set for {ctx.Settings.Username}: cps login {ctx.Settings.Username} works without the identity provider");
                return;
            }

            var current = ctx.Secret(r.GetValue(old), "current password", "--old", "CPS_OLD_PASSWORD", "Current password: ");
            var data = await ctx.Send("mutation($o: String!, $p: String!) { changePassword(oldPassword: $o, newPassword: $p) }",
                new { o = current, p = ctx.Password(r.GetValue(password), confirm: true) });
            ctx.Confirm(data, $"Password changed for {ctx.Settings.Username}; your other sessions have ended");
        });
        return command;
    }
}
