using System.Diagnostics;
using System.Text;

/// <summary>
/// Runs the service's startup script once, as ConPaaS did at the end of a VM's contextualisation: /bin/sh &lt;script&gt;
/// in the VM's folder (where the archive is unpacked as ./code), its output appended to startup.log there (0600),
/// killed with everything it started when the time limit passes.
/// </summary>
internal static class StartupScript
{
    public const string LogName = "startup.log";
    private const int KeptLines = 20;

    /// <summary>The exit code (null: killed at the time limit or when the agent stopped) and the log's last lines.</summary>
    public sealed record Outcome(int? ExitCode, bool TimedOut, IReadOnlyList<string> LastLines);

    public static async Task<Outcome> Run(string script, string folder, TimeSpan limit, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var log = Path.Combine(folder, LogName);
        var create = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        new FileStream(log, create).Dispose();

        // The shell writes the output to the log itself: a daemon the script leaves running keeps its output open,
        // which a pipe to the agent would wait on for ever.
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec /bin/sh \"$1\" >>\"$2\" 2>&1 </dev/null", "sh", script, log])
        {
            WorkingDirectory = folder, UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        int? exitCode = null;
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            timedOut = !ct.IsCancellationRequested;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await File.AppendAllTextAsync(log, $"[agent] the startup script was killed after {limit.TotalSeconds:0} s (Files:StartupScriptTimeout)\n",
                CancellationToken.None);
        }

        return new Outcome(exitCode, timedOut, await Tail(log));
    }

    /// <summary>The last lines of the log, each cut at 500 characters.</summary>
    private static async Task<IReadOnlyList<string>> Tail(string log)
    {
        await using var stream = File.OpenRead(log);
        stream.Seek(Math.Max(0, stream.Length - 64 * 1024), SeekOrigin.Begin);
        var text = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();
        return text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).TakeLast(KeptLines)
            .Select(l => l.Length > 500 ? l[..500] + "…" : l).ToList();
    }
}
