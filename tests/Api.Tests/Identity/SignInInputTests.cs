using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>Issue 11: passwords of nothing but white space, empty passwords, and usernames that pass for others.</summary>
public sealed class SignInInputTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Register = "mutation($input: RegisterInput!) { register(input: $input) { id } }";

    private static string Name() => "u" + Guid.NewGuid().ToString("N")[..10];

    [Theory]
    [InlineData("        ")]
    [InlineData("\t\t\n\u00a0\u2003   ")]
    public async Task a_password_of_white_space_only_is_refused_at_register_and_at_change(string blank)
    {
        var name = Name();
        var refused = await app.Client().Fails("INVALID_INPUT", Register,
            new { input = new { username = name, email = $"{name}@example.org", password = blank } });
        Assert.Equal("password", refused["extensions"]!["field"]!.GetValue<string>());

        var user = await app.NewUser();
        var change = await user.Fails("INVALID_INPUT", "mutation($old: String!, $new: String!) { changePassword(oldPassword: $old, newPassword: $new) }",
            new { old = "password-" + user.Username, @new = blank });
        Assert.Equal("newPassword", change["extensions"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_empty_new_password_is_invalid_input()
    {
        var user = await app.NewUser();
        var change = await user.Fails("INVALID_INPUT", "mutation($old: String!) { changePassword(oldPassword: $old, newPassword: \"\") }",
            new { old = "password-" + user.Username });
        Assert.Equal("newPassword", change["extensions"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_username_longer_than_any_is_a_wrong_name_not_a_server_error()
    {
        // Found by the fuzz suite: the failure's key was too large for PostgreSQL's index (a 15 KB name).
        var refused = await app.Client().Fails("UNAUTHENTICATED", "mutation($u: String!) { login(username: $u, password: \"whatever-it-is\") { token } }",
            new { u = new string('x', 15_000) });

        Assert.DoesNotContain(new string('x', 100), refused["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task an_empty_login_password_is_a_failed_attempt_that_counts_toward_the_lock()
    {
        var user = await app.NewUser();
        for (var i = 0; i < 5; i++)
            await app.Client().Fails("UNAUTHENTICATED", $"mutation {{ login(username: \"{user.Username}\", password: \"\") {{ token }} }}");
        await app.Client().Fails("RATE_LIMITED", $"mutation {{ login(username: \"{user.Username}\", password: \"password-{user.Username}\") {{ token }} }}");
    }

    [Theory]
    [InlineData("\u0430dmin", "Cyrillic and Latin")]   // Cyrillic а
    [InlineData("r\u03bfot", "Greek and Latin")]       // Greek ο
    [InlineData("\u0410\u0392\u0421", "Cyrillic and Greek")]
    [InlineData("\uff41dmin", "full-width")]  // full-width ａ
    [InlineData("\U0001D41Admin", "mathematical letters")] // mathematical bold 𝐚
    public async Task usernames_that_pass_for_others_are_refused(string username, string why)
    {
        var refused = await app.Client().Fails("INVALID_INPUT", Register,
            new { input = new { username, email = $"{Name()}@example.org", password = "good-password" } });
        Assert.Equal("username", refused["extensions"]!["field"]!.GetValue<string>());
        Assert.Contains(why, refused["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("jos\u00e9")]
    [InlineData("\u03b1\u03bb\u03ad\u03be\u03b1\u03bd\u03b4\u03c1\u03bf\u03c2")]  // αλέξανδρος
    [InlineData("\u0438\u0432\u0430\u043d-42")]                                      // иван-42
    [InlineData("\u5c71\u7530taro")]                                                  // 山田taro: Han is not a look-alike of Latin
    public async Task usernames_in_one_script_are_welcome(string username)
    {
        var unique = username + Random.Shared.Next(100_000, 1_000_000); // digits: no letters of another script
        await app.Client().Ok(Register, new { input = new { username = unique, email = $"{Name()}@example.org", password = "good-password" } });
    }

    [Fact]
    public void the_script_rule_ignores_digits_marks_and_punctuation()
    {
        Assert.Empty(UsernameScripts.Mixed("42-_.!"));
        Assert.Equal(["Latin"], UsernameScripts.Mixed("cafe\u0301")); // a combining accent belongs to no script here
    }
}
