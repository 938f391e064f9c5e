using Conpaas.Api.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// The operator's verbs (cpsadduser.py and the schema upgrade of the installation guide) run on the built Director, and
/// the rule behind them: outside development the Director never changes its schema on its own start.
/// </summary>
public sealed class OperatorCommandTests : IAsyncLifetime
{
    private readonly List<DirectorProcess> _processes = [];
    private string _database = "";

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateDatabase("operator");

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await TestDatabase.DropDatabase(_database);
    }

    private DirectorProcess Run(bool autoMigrate, params string[] args)
    {
        var director = DirectorProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Director"] = _database,
            ["Director__AutoMigrate"] = autoMigrate ? "true" : "false",
            ["Certificates__CaDirectory"] = Path.Combine(Path.GetTempPath(), "conpaas-operator-ca"),
        }, args);
        _processes.Add(director);
        return director;
    }

    private async Task<DirectorProcess> Finished(bool autoMigrate, params string[] args)
    {
        var director = Run(autoMigrate, args);
        Assert.True(await director.WaitForExit(TimeSpan.FromSeconds(90)) is not null, $"still running:\n{director.Logs}");
        return director;
    }

    private async Task<long> Tables()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema = 'conpaas'", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task a_production_start_on_a_database_without_the_schema_refuses_naming_the_migrate_verb_and_creates_nothing()
    {
        var director = await Finished(autoMigrate: false);

        Assert.Equal(2, director.ExitCode);
        Assert.Contains("The Director cannot start: the database schema", director.StandardError);
        Assert.Contains("dotnet Conpaas.Api.dll migrate", director.StandardError);
        Assert.Equal(0, await Tables());
    }

    [Fact]
    public async Task migrate_brings_the_schema_up_to_date_once_and_the_director_then_starts_without_changing_it()
    {
        var first = await Finished(autoMigrate: false, "migrate");
        var second = await Finished(autoMigrate: false, "migrate");
        var director = Run(autoMigrate: false);
        await director.WaitUntilHealthy();

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("The database schema is current: applied changes to", first.StandardOutput);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("The database schema was already current.", second.StandardOutput);
        Assert.True(await Tables() > 0);
    }

    [Fact]
    public async Task adduser_creates_a_user_who_can_sign_in_and_names_a_duplicate()
    {
        await Finished(autoMigrate: false, "migrate");

        var added = await Finished(autoMigrate: false, "adduser", "ann@example.org", "ann", "ann-password", "7");
        var duplicate = await Finished(autoMigrate: false, "adduser", "other@example.org", "ANN", "other-password");
        var badCredit = await Finished(autoMigrate: false, "adduser", "bob@example.org", "bob", "bob-password", "lots");
        var usage = await Finished(autoMigrate: false, "adduser", "bob@example.org");

        Assert.Equal(0, added.ExitCode);
        Assert.Contains("User ann <ann@example.org> created with 7 credit", added.StandardOutput);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("error: Username 'ANN' is already taken (CONFLICT)", duplicate.StandardError);
        Assert.Equal(2, badCredit.ExitCode);
        Assert.Contains("is not a valid integer", badCredit.StandardError);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage: Conpaas.Api.dll adduser EMAIL USERNAME [PASSWORD] [CREDIT]", usage.StandardError);

        var director = Run(autoMigrate: false);
        await director.WaitUntilHealthy();
        var ann = await director.Client().SignIn("ann", "ann-password");
        Assert.Equal(7, (await ann.Ok("{ me { credit } }"))["me"]!["credit"]!.GetValue<int>());
    }
}
