using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>What cps says before (or instead of) talking to a Director.</summary>
public sealed class UsageTests : IDisposable
{
    private readonly Cps _shell = new(null);

    [Fact]
    public async Task an_unreachable_director_exits_3_and_names_its_url()
    {
        var refused = await _shell.Fails(3, "error: Cannot reach the director at http://127.0.0.1:1/graphql: Connection refused (UNREACHABLE)",
            "app", "list", "--director", "http://127.0.0.1:1");
        Assert.Contains("hint: is the Director running there? Name another with --director URL or $CPS_DIRECTOR", refused.Err);

        _shell.Environment["CPS_DIRECTOR"] = "127.0.0.1:1";
        await _shell.Fails(3, "http://127.0.0.1:1/graphql", "director", "version");
    }

    [Fact]
    public async Task a_director_given_as_host_gets_http_and_port_5555_as_in_cps_tools()
    {
        // 127.0.0.1:5555 is not this test's Director: only the address in the message matters.
        var result = await _shell.Run("director", "version", "--director", "127.0.0.2");
        Assert.Contains("http://127.0.0.2:5555/graphql", result.Err);
    }

    [Fact]
    public async Task usage_errors_exit_2_and_point_to_the_help()
    {
        var missing = await _shell.Fails(2, "error: Required argument missing for command: 'create'. (USAGE)", "app", "create");
        Assert.Contains("Try 'cps app create --help'.", missing.Err);
        await _shell.Fails(2, "(USAGE)", "app", "frobnicate");
        await _shell.Fails(2, "error: Required command was not provided. (USAGE)", "service");
        await _shell.Fails(2, "error: Invalid director URL 'ftp://x'", "app", "list", "--director", "ftp://x");
    }

    [Fact]
    public async Task node_counts_are_checked_before_anything_is_sent()
    {
        // The Director is unreachable: exit 2, not 3, shows nothing was sent.
        string[] director = ["--director", "http://127.0.0.1:1"];
        await _shell.Fails(2, "error: --backend needs a number of nodes, not 'many' (USAGE)", ["service", "add-nodes", "web", "--backend", "many", .. director]);
        await _shell.Fails(2, "error: How many nodes?", ["service", "add-nodes", "web", .. director]);
        await _shell.Fails(2, "error: Name the service first", ["service", "remove-nodes", "--backend", "1", "web", .. director]);
        await _shell.Fails(2, "error: Unexpected 'web'", ["service", "remove-nodes", "x", "web", .. director]);
    }

    [Fact]
    public async Task help_is_not_an_error()
    {
        var help = await _shell.Run("service", "add-nodes", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("cps service add-nodes <SERVICE> [<--ROLE N>...] [options]", help.Out);
    }

    [Fact]
    public async Task an_unreadable_settings_file_is_named()
    {
        Directory.CreateDirectory(_shell.ConfigDirectory);
        var file = Path.Combine(_shell.ConfigDirectory, "cps.json");
        await File.WriteAllTextAsync(file, "{ not json", TestContext.Current.CancellationToken);
        await _shell.Fails(2, $"error: Cannot read {file}", "app", "list");
    }

    public void Dispose() => _shell.Dispose();
}
