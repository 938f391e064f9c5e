using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conpaas.Bench;

/// <summary>
/// The real Director as an operator runs it: `dotnet Conpaas.Api.dll` (the build next to this harness), its own
/// database, configured only through environment variables; the sim cloud with zero latency as default and "sim".
/// </summary>
public sealed class Director : IAsyncDisposable
{
    public const string AdminPassword = "bench-admin-pass";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public Uri BaseAddress { get; }
    public string ConnectionString { get; }
    public int Pid => _process.Id;
    /// <summary>From Process.Start to the first 200 on /health.</summary>
    public TimeSpan StartToHealthy { get; private set; }
    /// <summary>RSS in MB (10^6 bytes) right after the first 200 on /health.</summary>
    public double HealthyRss { get; private set; }

    private Director(Process process, Uri baseAddress, string connectionString)
    {
        _process = process;
        BaseAddress = baseAddress;
        ConnectionString = connectionString;
    }

    public static string DefaultDll => Path.Combine(AppContext.BaseDirectory, "Conpaas.Api.dll");

    public static async Task<Director> Start(string dll, string connectionString, IReadOnlyDictionary<string, string>? extra = null)
    {
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build bench/Bench first");
        var folder = Path.GetDirectoryName(Path.GetFullPath(dll))!;
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Only what is set here configures the Director.
        foreach (var key in psi.Environment.Keys.Where(k =>
                     k.StartsWith("Director", StringComparison.OrdinalIgnoreCase) || k.StartsWith("GraphQL__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Clouds__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Agents__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Subscriptions__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Vpn__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
                     .ToList())
            psi.Environment.Remove(key);
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/'),
            ["ASPNETCORE_CONTENTROOT"] = folder,
            ["ConnectionStrings__Director"] = connectionString,
            ["Director__Url"] = baseAddress.ToString().TrimEnd('/'),
            ["Director__DurabilityMode"] = "Solo",
            ["DIRECTOR_ADMIN_PASSWORD"] = AdminPassword,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
            // The zero-latency sim cloud, also as default, so that nothing starts local agent processes.
            ["Clouds__default__Driver"] = "sim",
            ["Clouds__sim__Driver"] = "sim",
            ["Clouds__sim__Keys__LATENCY_MS"] = "0",
            ["Clouds__sim__Keys__BOOT_MS"] = "0",
            ["Agents__ReadinessPollInterval"] = "00:00:00.050",
            // Users register with the most credit allowed: thousands of VM-hours are charged during a run.
            ["Director__MaxCredit"] = "1000000",
            // Every bench client registers and signs in from 127.0.0.1.
            ["Director__AnonymousSignInsPerMinute"] = "1000000",
        };
        if (extra is not null)
            foreach (var (k, v) in extra) env[k] = v;
        // The benchmark's databases are fresh: the Director brings the schema up to date itself.
        psi.Environment["Director__AutoMigrate"] = "true";
        foreach (var (k, v) in env) psi.Environment[k] = v;

        var process = new Process { StartInfo = psi };
        var director = new Director(process, baseAddress, connectionString);
        void Keep(string? line)
        {
            if (line is null) return;
            lock (director._output)
            {
                if (director._output.Length > 200_000) director._output.Remove(0, 100_000);
                director._output.AppendLine(line);
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        var started = Stopwatch.GetTimestamp();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await director.WaitUntilHealthy(started);
        }
        catch
        {
            await director.DisposeAsync();
            throw;
        }

        return director;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    private async Task WaitUntilHealthy(long started)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The Director exited with {_process.ExitCode} before it was healthy:\n{Output}");
            try
            {
                using var response = await http.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    StartToHealthy = TimeSpan.FromSeconds(Stats.SecondsSince(started));
                    HealthyRss = Memory().Rss * 1024 * 1024 / 1e6;
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // listening, not answering yet
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"The Director was not healthy within 120 s:\n{Output}");
    }

    /// <summary>VmRSS, VmHWM (the peak), RssAnon (heaps, JIT'd code) and RssFile (mapped assemblies) of the Director process, in MiB.</summary>
    public (double Rss, double Peak, double Anon, double File) Memory()
    {
        double rss = double.NaN, hwm = double.NaN, anon = double.NaN, file = double.NaN;
        foreach (var line in System.IO.File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = KiB(line) / 1024.0;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = KiB(line) / 1024.0;
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = KiB(line) / 1024.0;
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = KiB(line) / 1024.0;
        }

        return (rss, hwm, anon, file);

        static double KiB(string line) => double.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Ends the Director process (this harness started it) and waits for it.</summary>
    public async ValueTask DisposeAsync()
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
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
