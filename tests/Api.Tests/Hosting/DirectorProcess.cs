using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Conpaas.Api.Tests.Infrastructure;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// The built Director (src/Api/bin/&lt;Configuration&gt;/net10.0/Conpaas.Api.dll) as an operator starts it: a child
/// process configured only through its environment, with stdout and stderr captured.
/// </summary>
public sealed class DirectorProcess : IAsyncDisposable
{
    private static readonly string Configuration = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
    public static string BinFolder { get; } = Path.Combine(Repo.Root, "src", "Api", "bin", Configuration, "net10.0");

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public Uri BaseAddress { get; }

    private DirectorProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }
    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }
    public string Logs => StandardOutput + StandardError;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the Director on a free loopback port (with a verb, e.g. rebuild, when given); a null value leaves that variable unset.</summary>
    public static DirectorProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var dll = Path.Combine(BinFolder, "Conpaas.Api.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build src/Api in {Configuration} first");

        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = BinFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Nothing from the test runner's own environment may configure the Director behind the test's back.
        foreach (var key in psi.Environment.Keys.Where(k =>
                     k.StartsWith("Director", StringComparison.OrdinalIgnoreCase) || k.StartsWith("GraphQL__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        psi.Environment["ASPNETCORE_CONTENTROOT"] = BinFolder;
        psi.Environment["Director__DurabilityMode"] = "Solo";
        // A fresh test database has no schema; tests of the migrate verb and the schema gate set this to false.
        psi.Environment["Director__AutoMigrate"] = "true";
        foreach (var (key, value) in environment)
        {
            if (value is null) psi.Environment.Remove(key);
            else psi.Environment[key] = value;
        }

        foreach (var arg in args) psi.ArgumentList.Add(arg);
        var process = new Process { StartInfo = psi };
        var director = new DirectorProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (director._stdout) director._stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (director._stderr) director._stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return director;
    }

    public HttpClient Http() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public GraphQLClient Client() => new(Http(), null);

    /// <summary>Polls /health until it answers "Healthy" (a process booting is no Wolverine message to track); fails
    /// with the process output when it exits or takes too long.</summary>
    public async Task WaitUntilHealthy(TimeSpan? timeout = null)
    {
        using var http = Http();
        await Wait.Until(() => Health(http), health => health == "Healthy", timeout ?? TimeSpan.FromSeconds(60), "the Director healthy",
            _ => _process.HasExited ? $"the Director exited with {_process.ExitCode}" : null, () => $"\n{Logs}");
    }

    private static async Task<string> Health(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/health");
            var body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK ? body : $"{(int)response.StatusCode} {body}";
        }
        catch (HttpRequestException e)
        {
            return e.Message; // not listening yet
        }
    }

    /// <summary>Waits until stdout shows the pattern; fails with the process output when it does not.</summary>
    public Task<Match> WaitForOutput(Regex pattern, TimeSpan? timeout = null) =>
        Wait.Until(() => pattern.Match(StandardOutput), match => match.Success, timeout ?? TimeSpan.FromSeconds(10),
            $"stdout showing /{pattern}/", show: () => $"\n{Logs}");

    /// <summary>Waits for the process to end by itself; null when it is still running after the timeout.</summary>
    public async Task<int?> WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Kills the whole process tree and waits until it and its output streams are done.</summary>
    public async Task Stop()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Stop();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
