using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Bench;

/// <summary>
/// The benchmark harness (bench/, run by ./bench.sh) at its smoke sizes, so that it never rots: it starts the real
/// Director from its own output folder against the test server and must produce every row of the table with numbers.
/// </summary>
public sealed partial class BenchSmokeTests : IAsyncLifetime
{
    private static readonly string Configuration = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
    private static readonly string[] Ids = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"];
    private static readonly string[] WithBaseline = ["P1", "P3", "P4", "P5", "P8", "P9", "P10"];

    private readonly string _out = Path.Combine(Path.GetTempPath(), $"conpaas-bench-smoke-{Guid.NewGuid():N}.md");
    private string? _database;

    [GeneratedRegex(@"\*\*[0-9][0-9,]*(\.[0-9]+)?\*\*")]
    private static partial Regex BoldNumber();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)? ?%$")]
    private static partial Regex Percent();

    [Fact]
    public async Task the_smoke_run_prints_and_writes_every_row_with_numbers()
    {
        var dll = Path.Combine(Repo.Root, "bench", "Bench", "bin", Configuration, "net10.0", "Conpaas.Bench.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build bench/Bench/Conpaas.Bench.csproj in {Configuration} (the solution build does)");
        // Any database on the test server will do: the harness creates (and drops) databases of its own from there.
        _database = await TestDatabase.CreateDatabase("bench");

        var (exitCode, stdout, stderr) = await Run(dll, "--scale", "smoke", "--server", _database, "--out", _out);

        Assert.True(exitCode == 0, $"the harness exited with {exitCode}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        var written = await File.ReadAllTextAsync(_out, TestContext.Current.CancellationToken);
        Assert.Contains(written.Trim(), stdout);
        Assert.Contains($"**{Environment.ProcessorCount} cores**", written);
        var rows = written.Split('\n').Where(l => l.StartsWith("| P", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(cells => cells[1], cells => cells);
        foreach (var id in Ids)
        {
            Assert.True(rows.TryGetValue(id, out var cells), $"no row {id} in\n{written}");
            // | id | what | result | baseline | ratio | target | met |
            Assert.DoesNotContain("not measured", cells[3]);
            Assert.Matches(BoldNumber(), cells[3]);
            if (WithBaseline.Contains(id)) Assert.Matches(BoldNumber(), cells[4]);
            Assert.Contains(cells[7], new[] { "yes", "**no**" });
        }

        Assert.Matches(Percent(), rows["P1"][5]);
        Assert.Matches(Percent(), rows["P5"][5]);
        Assert.Matches(Percent(), rows["P8"][5]);
        Assert.Matches(Percent(), rows["P9"][5]);
        Assert.Equal(2, BoldNumber().Matches(rows["P2"][3]).Count); // p50 and p99
        Assert.Equal(2, BoldNumber().Matches(rows["P7"][3]).Count); // RSS and start→healthy
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the harness and the Directors it started
            await process.WaitForExitAsync();
            return (-1, stdout.ToString(), "timed out after 4 minutes\n" + stderr);
        }

        process.WaitForExit(); // drains the output events
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        File.Delete(_out);
        if (_database is not null) await TestDatabase.DropDatabase(_database);
    }
}
