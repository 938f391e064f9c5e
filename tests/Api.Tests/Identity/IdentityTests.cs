using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

public sealed class IdentityTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Register = """
        mutation($input: RegisterInput!) { register(input: $input) { id username email firstName lastName affiliation role credit createdAt } }
        """;

    private static string Name() => "u" + Guid.NewGuid().ToString("N")[..10];

    private static object Input(string name, int? credit = null, string? email = null, string password = "good-password") =>
        new { username = name, email = email ?? $"{name}@example.org", password, firstName = "Ann", affiliation = "VU", credit };

    [Fact]
    public async Task a_new_user_registers_logs_in_and_sees_herself()
    {
        var name = Name();
        var user = (await app.Client().Ok(Register, new { input = Input(name) }))["register"]!;
        Assert.Equal(name, user["username"]!.GetValue<string>());
        Assert.Equal("USER", user["role"]!.GetValue<string>());
        Assert.Equal(50, user["credit"]!.GetValue<int>());
        Assert.Equal("Ann", user["firstName"]!.GetValue<string>());
        Assert.Null(user["lastName"]);

        var client = app.Client();
        var session = (await client.Ok("mutation { login(username: \"" + name + "\", password: \"good-password\") { token expiresAt user { username } } }"))["login"]!;
        Assert.StartsWith("cps_", session["token"]!.GetValue<string>());
        Assert.True(DateTimeOffset.Parse(session["expiresAt"]!.GetValue<string>()) > DateTimeOffset.UtcNow.AddHours(1));

        await client.SignIn(name, "good-password");
        var me = (await client.Ok("{ me { id username email credit } }"))["me"]!;
        Assert.Equal(user["id"]!.GetValue<string>(), me["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task usernames_and_emails_are_unique_ignoring_case()
    {
        var name = Name();
        await app.Client().Ok(Register, new { input = Input(name) });

        var byName = await app.Client().Fails("CONFLICT", Register, new { input = Input(name.ToUpperInvariant(), email: Name() + "@x.org") });
        Assert.Equal($"Username '{name.ToUpperInvariant()}' is already taken", byName["message"]!.GetValue<string>());
        Assert.Equal("username", byName["extensions"]!["field"]!.GetValue<string>());

        var byEmail = await app.Client().Fails("CONFLICT", Register, new { input = Input(Name(), email: $"{name.ToUpperInvariant()}@EXAMPLE.org") });
        Assert.Contains("is already registered", byEmail["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(60, "Cannot allocate 60 credit for a new user (max credit 50).")]
    [InlineData(-1, "Required credit -1 cannot be a negative integer.")]
    public async Task credit_outside_zero_to_max_is_refused_with_the_conpaas_message(int credit, string message)
    {
        var error = await app.Client().Fails("INVALID_INPUT", Register, new { input = Input(Name(), credit) });
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.Equal("credit", error["extensions"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task credit_may_be_anything_from_zero_to_max()
    {
        var zero = (await app.Client().Ok(Register, new { input = Input(Name(), 0) }))["register"]!;
        Assert.Equal(0, zero["credit"]!.GetValue<int>());
        var max = (await app.Client().Ok(Register, new { input = Input(Name(), 50) }))["register"]!;
        Assert.Equal(50, max["credit"]!.GetValue<int>());
    }

    public static TheoryData<string, string, string, string> BadInputs => new()
    {
        { "", "x@example.org", "good-password", "username" },
        { "   ", "x@example.org", "good-password", "username" },
        { new string('a', 257), "x@example.org", "good-password", "username" },
        { "bad\u0001name", "x@example.org", "good-password", "username" },
        { "two words", "x@example.org", "good-password", "username" },
        { "NAME", "", "good-password", "email" },
        { "NAME", "not-an-email", "good-password", "email" },
        { "NAME", "a@b@c", "good-password", "email" },
        { "NAME", "x@example.org", "", "password" },
        { "NAME", "x@example.org", "short", "password" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task bad_input_is_refused_naming_the_field_and_nothing_is_stored(string username, string email, string password, string field)
    {
        username = username.Replace("NAME", Name());
        var error = await app.Client().Fails("INVALID_INPUT", Register,
            new { input = new { username, email = email.Replace("x@", Name() + "@"), password } });
        Assert.Equal(field, error["extensions"]!["field"]!.GetValue<string>());

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        Assert.False(await session.Query<User>().AnyAsync(u => u.Username == username, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task a_missing_required_field_is_named()
    {
        var error = await app.Client().Fails("INVALID_INPUT",
            "mutation { register(input: { username: \"x\", password: \"good-password\" }) { id } }");
        Assert.Contains("email", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_overlong_optional_name_is_refused()
    {
        var error = await app.Client().Fails("INVALID_INPUT", Register, new
        {
            input = new { username = Name(), email = Name() + "@x.org", password = "good-password", lastName = new string('x', 300) },
        });
        Assert.Equal("lastName", error["extensions"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task passwords_are_stored_as_argon2id_and_never_returned()
    {
        var name = Name();
        var client = app.Client();
        var response = await client.Send(Register, new { input = Input(name) });
        Assert.DoesNotContain("argon2", response.Body.ToJsonString());
        Assert.DoesNotContain("good-password", response.Body.ToJsonString());

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var user = await session.Query<User>().SingleAsync(u => u.Username == name, TestContext.Current.CancellationToken);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", user.PasswordHash);

        // The schema has no field that could carry it.
        var fields = await client.Ok("{ __type(name: \"User\") { fields { name } } }");
        Assert.DoesNotContain(fields["__type"]!["fields"]!.AsArray(), f => f!["name"]!.GetValue<string>().Contains("password", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task a_wrong_password_is_refused_like_an_unknown_user()
    {
        var user = await app.NewUser();
        var wrong = await app.Client().Fails("UNAUTHENTICATED", "mutation { login(username: \"" + user.Username + "\", password: \"nope-nope\") { token } }");
        var unknown = await app.Client().Fails("UNAUTHENTICATED", "mutation { login(username: \"nobody-" + Name() + "\", password: \"nope-nope\") { token } }");
        Assert.Equal(wrong["message"]!.GetValue<string>(), unknown["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task five_failed_logins_lock_the_account_without_revealing_whether_it_exists()
    {
        var user = await app.NewUser();
        var ghost = "ghost-" + Name();
        foreach (var name in new[] { user.Username!, ghost })
        {
            for (var i = 0; i < 5; i++)
                await app.Client().Fails("UNAUTHENTICATED", $"mutation {{ login(username: \"{name}\", password: \"wrong-{i}\") {{ token }} }}");
            var locked = await app.Client().Fails("RATE_LIMITED", $"mutation {{ login(username: \"{name}\", password: \"wrong\") {{ token }} }}");
            Assert.StartsWith("Too many failed logins", locked["message"]!.GetValue<string>());
        }

        // Even the right password waits out the lock.
        await app.Client().Fails("RATE_LIMITED", $"mutation {{ login(username: \"{user.Username}\", password: \"password-{user.Username}\") {{ token }} }}");
    }

    [Fact]
    public async Task logout_revokes_the_token_used_for_it_only()
    {
        var user = await app.NewUser();
        var other = await app.Client().SignIn(user.Username!, "password-" + user.Username);

        Assert.True((await user.Ok("mutation { logout }"))["logout"]!.GetValue<bool>());
        Assert.Null((await user.Ok("{ me { id } }"))["me"]);
        var error = await user.Fails("UNAUTHENTICATED", "mutation { logout }");
        Assert.Contains("expired or revoked", error["message"]!.GetValue<string>());

        Assert.NotNull((await other.Ok("{ me { id } }"))["me"]);
    }

    [Fact]
    public async Task a_changed_password_ends_the_other_sessions_and_keeps_this_one()
    {
        var user = await app.NewUser();
        var elsewhere = await app.Client().SignIn(user.Username!, "password-" + user.Username);

        await user.Fails("INVALID_INPUT", "mutation { changePassword(oldPassword: \"wrong-one\", newPassword: \"brand-new-pw\") }");
        await user.Ok("mutation { changePassword(oldPassword: \"password-" + user.Username + "\", newPassword: \"brand-new-pw\") }");

        Assert.NotNull((await user.Ok("{ me { id } }"))["me"]);
        Assert.Null((await elsewhere.Ok("{ me { id } }"))["me"]);
        await app.Client().Fails("UNAUTHENTICATED", "mutation { login(username: \"" + user.Username + "\", password: \"password-" + user.Username + "\") { token } }");
        await app.Client().SignIn(user.Username!, "brand-new-pw");
    }

    [Fact]
    public async Task users_and_createUser_are_for_administrators()
    {
        const string createUser = "mutation($input: RegisterInput!, $role: Role) { createUser(input: $input, role: $role) { username role credit } }";
        var user = await app.NewUser();
        await app.Client().Fails("UNAUTHENTICATED", "{ users { id } }");
        await user.Fails("FORBIDDEN", "{ users { id } }");
        await user.Fails("FORBIDDEN", createUser, new { input = Input(Name()) });

        var admin = await app.Admin();
        var name = Name();
        var created = (await admin.Ok(createUser, new { input = Input(name, 10), role = "ADMIN" }))["createUser"]!;
        Assert.Equal("ADMIN", created["role"]!.GetValue<string>());
        Assert.Equal(10, created["credit"]!.GetValue<int>());

        var users = (await admin.Ok("{ users { username role } }"))["users"]!.AsArray();
        Assert.Contains(users, u => u!["username"]!.GetValue<string>() == name);
        Assert.Contains(users, u => u!["username"]!.GetValue<string>() == "admin" && u["role"]!.GetValue<string>() == "ADMIN");
    }

    [Fact]
    public async Task every_identity_change_is_an_event_on_the_users_stream_with_actor_and_correlation()
    {
        var user = await app.NewUser();
        await user.Ok("mutation { changePassword(oldPassword: \"password-" + user.Username + "\", newPassword: \"brand-new-pw\") }");
        await user.Ok("mutation { logout }");

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var ct = TestContext.Current.CancellationToken;
        var id = (await session.Query<User>().SingleAsync(u => u.Username == user.Username, ct)).Id;
        var events = await session.Events.FetchStreamAsync(id, token: ct);
        Assert.Equal(["user_registered", "session_started", "password_changed", "session_ended"], events.Select(e => e.EventTypeName));
        Assert.All(events, e => Assert.Equal(user.Username, e.UserName));
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.CorrelationId)));
    }

    [Fact]
    public async Task version_needs_no_sign_in()
    {
        var version = (await app.Client().Ok("{ version }"))["version"]!.GetValue<string>();
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
    }
}

public sealed class ClosedRegistrationApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Director:AllowRegistration"] = "false" };
}

public sealed class ClosedRegistrationTests(ClosedRegistrationApp app) : IClassFixture<ClosedRegistrationApp>
{
    [Fact]
    public async Task self_registration_can_be_switched_off_while_administrators_still_create_users()
    {
        var error = await app.Client().Fails("FORBIDDEN",
            "mutation { register(input: { username: \"zed\", email: \"zed@x.org\", password: \"good-password\" }) { id } }");
        Assert.Contains("switched off", error["message"]!.GetValue<string>());

        var admin = await app.Admin();
        await admin.Ok("mutation { createUser(input: { username: \"zed\", email: \"zed@x.org\", password: \"good-password\" }) { id } }");
        await app.Client().SignIn("zed", "good-password");
    }
}
