using System.Diagnostics;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>Tests that build src/Cli themselves (pack, publish) run one at a time: they share its obj folder.</summary>
[CollectionDefinition(Name)]
public sealed class BuildsCps
{
    public const string Name = "builds src/Cli";
}

/// <summary>cps as a .NET tool: the package dotnet pack makes installs with dotnet tool install and runs as `cps`.</summary>
[Collection(BuildsCps.Name)]
public sealed class ToolPackageTests
{
    [Fact]
    public async Task the_packed_tool_installs_from_its_folder_and_runs_as_cps()
    {
        using var shell = new Cps(null);
        var root = Path.GetDirectoryName(shell.ConfigDirectory)!;
        var packages = Path.Combine(root, "packages");
        var tools = Path.Combine(root, "tools");

        await Dotnet(root, "pack", Path.Combine(Repo.Root, "src", "Cli"), "-c", "Release", "-o", packages, "-nologo");
        Assert.Single(Directory.GetFiles(packages, "cps.*.nupkg"));
        await Dotnet(root, "tool", "install", "--tool-path", tools, "--add-source", packages, "cps");

        var version = await BuiltCps.Run(shell, Path.Combine(tools, "cps"), "--version", "--director", "http://127.0.0.1:1");
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Equal("cps 0.1.0 (API contract 1.1)\n", version.Out);
    }

    /// <summary>dotnet with its own home (its tool and NuGet state stay in the test's folder).</summary>
    private static async Task Dotnet(string home, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = home };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_HOME"] = home;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)}: {await output}{await error}");
    }
}
