using System.Text.Json.Nodes;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

public sealed class SigningInTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    private static string NewName() => "u" + Guid.NewGuid().ToString("N")[..10];

    private string Url => director.BaseAddress.ToString();

    [Fact]
    public async Task login_remembers_the_director_and_session_in_a_file_only_its_owner_can_read()
    {
        var shell = director.NewShell();
        var name = NewName();

        var registered = await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);
        Assert.Contains($"User {name} registered with 50 credit", registered.Out);
        var login = await shell.Ok("login", name, "--password", Cps.PasswordOf(name), "--director", Url);
        Assert.StartsWith($"Logged in as {name} at {Url.TrimEnd('/')} until ", login.Out);

        var file = Path.Combine(shell.ConfigDirectory, "cps.json");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var settings = JsonNode.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken))!;
        Assert.Equal(Url.TrimEnd('/'), settings["director"]!.GetValue<string>());
        Assert.Equal(name, settings["username"]!.GetValue<string>());
        Assert.NotEmpty(settings["token"]!.GetValue<string>());

        // No --director from now on: the one of the login is remembered.
        var whoami = await shell.Ok("whoami");
        Assert.Equal(name, whoami.Field("username"));
        Assert.Equal("50", whoami.Field("credit"));
        var me = await shell.Json("whoami");
        Assert.Equal(name, me["me"]!["username"]!.GetValue<string>());
        Assert.Equal("USER", me["me"]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_wrong_password_is_refused_with_the_directors_message_and_the_session_is_kept()
    {
        var shell = await director.NewUser();
        var before = await File.ReadAllTextAsync(Path.Combine(shell.ConfigDirectory, "cps.json"), TestContext.Current.CancellationToken);

        var me = (await shell.Json("whoami"))["me"]!["username"]!.GetValue<string>();
        await shell.Fails(1, "error: User authentication failed (UNAUTHENTICATED)", "login", me, "--password", "not-the-password");

        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(shell.ConfigDirectory, "cps.json"), TestContext.Current.CancellationToken));
        await shell.Ok("whoami");
    }

    [Fact]
    public async Task the_director_and_password_may_come_from_CPS_DIRECTOR_and_CPS_PASSWORD()
    {
        var name = NewName();
        await director.NewShell().Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);

        var shell = director.NewShell();
        shell.Environment["CPS_DIRECTOR"] = Url;
        shell.Environment["CPS_PASSWORD"] = Cps.PasswordOf(name);
        await shell.Ok("login", name);
        Assert.Equal(name, (await shell.Json("whoami"))["me"]!["username"]!.GetValue<string>());

        // --director wins over CPS_DIRECTOR.
        shell.Environment["CPS_DIRECTOR"] = "http://127.0.0.1:1";
        await shell.Fails(3, "http://127.0.0.1:1/graphql", "whoami");
        await shell.Ok("whoami", "--director", Url);
    }

    [Fact]
    public async Task without_a_password_and_without_a_terminal_login_is_a_usage_error()
    {
        var shell = director.NewShell();
        await shell.Fails(2, "error: No password: give --password, set CPS_PASSWORD, or run cps in a terminal to be asked (USAGE)",
            "login", "ann", "--director", Url);
    }

    [Fact]
    public async Task logout_ends_the_session_at_the_director_too()
    {
        var shell = await director.NewUser();
        var file = Path.Combine(shell.ConfigDirectory, "cps.json");
        var signedIn = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);

        Assert.StartsWith("Logged out of ", (await shell.Ok("logout")).Out);
        await shell.Fails(1, "error: Not logged in at", "whoami");
        Assert.Null(JsonNode.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken))!["token"]);

        // The old token was revoked, not only forgotten.
        await File.WriteAllTextAsync(file, signedIn, TestContext.Current.CancellationToken);
        await shell.Fails(1, "(UNAUTHENTICATED)", "app", "list");
    }

    [Fact]
    public async Task registering_a_taken_name_is_refused()
    {
        var name = NewName();
        var shell = director.NewShell();
        await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);
        await shell.Fails(1, $"error: Username '{name}' is already taken (CONFLICT)",
            "register", name, "--email", $"other-{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);
    }

    [Fact]
    public async Task passwd_changes_the_password_with_the_current_one_and_keeps_this_session()
    {
        var name = NewName();
        var shell = director.NewShell();
        await shell.Ok("register", name, "--email", $"{name}@example.org", "--password", Cps.PasswordOf(name), "--director", Url);
        await shell.Ok("login", name, "--password", Cps.PasswordOf(name), "--director", Url);

        await shell.Fails(1, "error: The old password is not correct", "passwd", "--old", "not-the-password", "--password", "brand-new-pw-1");
        // An account with a password cannot be given a first one.
        await shell.Fails(1, "changePassword", "passwd", "--first", "--password", "brand-new-pw-1");
        var changed = await shell.Ok("passwd", "--old", Cps.PasswordOf(name), "--password", "brand-new-pw-1");

        Assert.Contains($"Password changed for {name}", changed.Out);
        await shell.Ok("whoami");
        var other = director.NewShell();
        await other.Fails(1, "UNAUTHENTICATED", "login", name, "--password", Cps.PasswordOf(name), "--director", Url);
        await other.Ok("login", name, "--password", "brand-new-pw-1", "--director", Url);
    }

    [Fact]
    public async Task passwd_without_the_current_password_and_without_a_terminal_is_a_usage_error_and_sends_nothing()
    {
        var shell = await director.NewUser();
        await shell.Fails(2, "error: No current password: give --old, set CPS_OLD_PASSWORD, or run cps in a terminal to be asked (USAGE)",
            "passwd", "--password", "brand-new-pw-1");
        await shell.Fails(2, "give no --old", "passwd", "--first", "--old", "x", "--password", "brand-new-pw-1");
    }
}
