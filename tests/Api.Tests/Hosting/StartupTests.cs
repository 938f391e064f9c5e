using System.Text.RegularExpressions;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>The built Director started as a real process, configured through its environment only.</summary>
public sealed partial class StartupTests : IAsyncLifetime
{
    private readonly List<DirectorProcess> _processes = [];
    private readonly List<string> _databases = [];

    [GeneratedRegex("Administrator account created: username 'admin', password '([^']+)'")]
    private static partial Regex PrintedPassword();

    private async Task<string> NewDatabase()
    {
        var connectionString = await TestDatabase.CreateDatabase("startup");
        _databases.Add(connectionString);
        return connectionString;
    }

    private DirectorProcess Start(string? connectionString, params (string Key, string? Value)[] settings)
    {
        var environment = settings.ToDictionary(s => s.Key, s => s.Value);
        environment.TryAdd("ConnectionStrings__Director", connectionString);
        var director = DirectorProcess.Start(environment);
        _processes.Add(director);
        return director;
    }

    private static async Task<string> Role(DirectorProcess director, string username, string password)
    {
        var client = await director.Client().SignIn(username, password);
        return (await client.Ok("{ me { role } }"))["me"]!["role"]!.GetValue<string>();
    }

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "Director__MaxCredit", "-5", "Director:MaxCredit" },
        { "GraphQL__MaxDepth", "1", "GraphQL:MaxDepth" },
        { "Director__DefaultApplicationName", " ", "Director:DefaultApplicationName" },
        { "ConnectionStrings__Director", null, "ConnectionStrings:Director" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task a_bad_setting_refuses_to_start_and_names_the_key(string variable, string? value, string key)
    {
        var director = Start(await NewDatabase(), (variable, value));

        var exitCode = await director.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.True(exitCode is not null, $"still running after 60 s:\n{director.Logs}");
        Assert.Equal(2, exitCode);
        Assert.Contains(key, director.StandardError);
    }

    [Fact]
    public async Task a_bad_setting_is_reported_without_a_stack_trace()
    {
        var director = Start(await NewDatabase(), ("Director__MaxCredit", "-5"));

        Assert.Equal(2, await director.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Director:MaxCredit", director.StandardError);
        Assert.False(director.Logs.Contains("   at "), $"an operator's typo should not print a stack trace:\n{director.Logs}");
    }

    [Fact]
    public async Task bad_settings_in_two_options_classes_are_named_together_in_one_line()
    {
        var director = Start(await NewDatabase(), ("Director__MaxCredit", "-5"), ("GraphQL__MaxDepth", "1"));

        var exitCode = await director.WaitForExit(TimeSpan.FromSeconds(60));

        Assert.True(exitCode is not null, $"still running after 60 s:\n{director.Logs}");
        Assert.True(exitCode == 2, $"exit code {exitCode}:\n{director.Logs}");
        var line = Assert.Single(director.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("The Director cannot start: ", line);
        Assert.Contains("Director:MaxCredit", line);
        Assert.Contains("GraphQL:MaxDepth", line);
        Assert.False(director.Logs.Contains("   at "), $"an operator's typos should not print a stack trace:\n{director.Logs}");
    }

    [Fact]
    public async Task the_first_start_prints_a_generated_admin_password_once_and_a_restart_keeps_it()
    {
        var database = await NewDatabase();
        var first = Start(database);
        await first.WaitUntilHealthy();
        var password = (await first.WaitForOutput(PrintedPassword())).Groups[1].Value;
        Assert.Equal("ADMIN", await Role(first, "admin", password));
        await first.Stop();
        Assert.Single(PrintedPassword().Matches(first.StandardOutput));
        Assert.DoesNotContain(password, first.StandardError);

        var second = Start(database);
        await second.WaitUntilHealthy();
        Assert.Equal("ADMIN", await Role(second, "admin", password));
        await second.Stop();
        Assert.DoesNotContain("Administrator account created", second.Logs);
        Assert.DoesNotContain(password, second.Logs);
    }

    [Fact]
    public async Task a_chosen_admin_password_is_used_and_never_printed()
    {
        var director = Start(await NewDatabase(), ("DIRECTOR_ADMIN_PASSWORD", "some-chosen-pw"));
        await director.WaitUntilHealthy();

        Assert.Equal("ADMIN", await Role(director, "admin", "some-chosen-pw"));
        await director.Stop();
        Assert.DoesNotContain("Administrator account created:", director.Logs);
        Assert.DoesNotContain("some-chosen-pw", director.Logs);
    }

    [Fact]
    public async Task the_logs_never_contain_passwords_tokens_or_hashes()
    {
        var director = Start(await NewDatabase(), ("DIRECTOR_ADMIN_PASSWORD", "admin-secret-pw"));
        await director.WaitUntilHealthy();

        var client = director.Client();
        await client.Ok("mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = "ann", email = "ann@example.org", password = "ann-secret-pw" } });
        await client.Fails("UNAUTHENTICATED", "mutation { login(username: \"ann\", password: \"ann-wrong-pw\") { token } }");
        await client.SignIn("ann", "ann-secret-pw");
        await client.Ok("{ me { username } }");
        var admin = await director.Client().SignIn("admin", "admin-secret-pw");
        await admin.Ok("{ users { username } }");
        await director.Stop();

        var logs = director.Logs;
        Assert.Contains("User ann registered", logs); // the run was logged at all
        foreach (var secret in new[] { "ann-secret-pw", "ann-wrong-pw", "admin-secret-pw", client.Token!, admin.Token! })
            Assert.False(logs.Contains(secret), $"the logs contain '{secret}':\n{logs}");
        Assert.DoesNotContain("argon2", logs, StringComparison.OrdinalIgnoreCase);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var director in _processes) await director.DisposeAsync();
        foreach (var database in _databases) await TestDatabase.DropDatabase(database);
    }
}
