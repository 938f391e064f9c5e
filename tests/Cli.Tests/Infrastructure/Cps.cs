using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Cli.Tests.Infrastructure;

public sealed record CpsResult(int ExitCode, string Out, string Err)
{
    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException("no JSON on stdout");

    /// <summary>The value of a "name  value" line.</summary>
    public string? Field(string name) =>
        Out.Split('\n').Select(line => line.Split("  ", 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => p[1].Trim()).FirstOrDefault();

    /// <summary>The cells of a table's data rows under one header.</summary>
    public IReadOnlyList<string> Column(string header)
    {
        var lines = Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var start = lines[0].IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no column {header} in:\n{Out}");
        return lines.Skip(1).Select(l => l.Length > start ? l[start..].Split("  ")[0].Trim() : "").ToList();
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>cps run in-process as one user at one terminal would: its own config folder and environment.</summary>
public sealed class Cps(DirectorApp? director) : IDisposable
{
    public string ConfigDirectory { get; } = Path.Combine(Directory.CreateTempSubdirectory("cps-test-").FullName, ".conpaas");
    public Dictionary<string, string?> Environment { get; } = new();

    /// <summary>Who this shell signed in as (DirectorApp.NewUser).</summary>
    public string? Username { get; set; }

    public static string PasswordOf(string username) => "password-" + username;

    public async Task<CpsResult> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Conpaas.Cli.Cli.Run(args, output, error, ConfigDirectory, name => Environment.GetValueOrDefault(name),
            ct: TestContext.Current.CancellationToken);
        return new CpsResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs and asserts success.</summary>
    public async Task<CpsResult> Ok(params string[] args)
    {
        var result = await Run(args);
        Assert.True(result.ExitCode == 0, $"cps {string.Join(' ', args)}: {result}");
        return result;
    }

    /// <summary>Runs with --json, asserts success, returns the data.</summary>
    public async Task<JsonNode> Json(params string[] args) => (await Ok([.. args, "--json"])).Json;

    /// <summary>Runs and asserts the exit code and the one error line.</summary>
    public async Task<CpsResult> Fails(int exitCode, string errorLine, params string[] args)
    {
        var result = await Run(args);
        Assert.True(result.ExitCode == exitCode, $"cps {string.Join(' ', args)}: expected exit {exitCode}, got {result}");
        Assert.Contains(errorLine, result.Err);
        return result;
    }

    public string DirectorUrl => director?.BaseAddress.ToString() ?? throw new InvalidOperationException("no Director");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(ConfigDirectory)!, recursive: true);
}
