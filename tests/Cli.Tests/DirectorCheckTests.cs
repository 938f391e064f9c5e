using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>A Director with a cloud missing its keys: its check has an ERROR.</summary>
public sealed class DirectorWithABrokenCloud : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Clouds:ec2-eu:Driver"] = "ec2",
    };
}

public sealed class DirectorCheckTests(DirectorWithABrokenCloud director) : IClassFixture<DirectorWithABrokenCloud>
{
    [Fact]
    public async Task director_check_prints_the_report_as_a_table_and_exits_1_on_an_error()
    {
        var admin = director.NewShell();
        await admin.Ok("login", "admin", "--password", DirectorApp.AdminPassword, "--director", director.BaseAddress.ToString());

        var table = await admin.Run("director", "check");
        var json = await admin.Run("director", "check", "--json");

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains("error: 1 of the Director's checks found an ERROR (CHECK_FAILED)", table.Err);
        Assert.Equal(["STATUS", "CHECK", "CAUSE", "FIX"], table.Out.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table.Out.Split('\n'), l => l.StartsWith("ERROR", StringComparison.Ordinal) && l.Contains("Missing ec2 config param USER for cloud 'ec2-eu'"));
        Assert.Contains(table.Out.Split('\n'), l => l.StartsWith("OK", StringComparison.Ordinal) && l.Contains("schema"));
        Assert.Equal(1, json.ExitCode);
        Assert.Contains(json.Json["directorCheck"]!.AsArray(), c => (string?)c!["name"] == "reachability" && (string?)c["status"] == "WARN");
    }

    [Fact]
    public async Task director_check_is_for_administrators()
    {
        var user = await director.NewUser();

        await user.Fails(1, "error: Only administrators may do this (FORBIDDEN)", "director", "check");
    }
}
