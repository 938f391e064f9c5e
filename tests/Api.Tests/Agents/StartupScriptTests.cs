using System.Diagnostics;
using Xunit;

namespace Conpaas.Api.Tests.Agents;

/// <summary>The agent's run of a startup script (src/Agent/StartupScript.cs, compiled in here), with real /bin/sh.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StartupScriptTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("conpaas-startup-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<StartupScript.Outcome> Run(string script, TimeSpan limit)
    {
        var file = Path.Combine(_folder, "STARTUP_SCRIPT");
        await File.WriteAllTextAsync(file, script, TestContext.Current.CancellationToken);
        return await StartupScript.Run(file, _folder, limit, new Dictionary<string, string> { ["CONPAAS_ROLE"] = "AGENT" },
            TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task the_script_runs_in_the_folder_with_its_output_in_a_private_log_and_its_exit_code_kept()
    {
        var outcome = await Run("echo \"$CONPAAS_ROLE in $PWD\"\necho oops >&2\nexit 3\n", TimeSpan.FromMinutes(1));

        Assert.Equal((3, false), (outcome.ExitCode, outcome.TimedOut));
        Assert.Equal([$"AGENT in {_folder}", "oops"], outcome.LastLines);
        var log = Path.Combine(_folder, StartupScript.LogName);
        Assert.Equal($"AGENT in {_folder}\noops\n", await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }

    [Fact]
    public async Task a_script_past_its_time_limit_is_killed_with_what_it_started()
    {
        var pidFile = Path.Combine(_folder, "child.pid");
        var outcome = await Run($"sleep 300 &\necho $! > {pidFile}\necho started\nwait\n", TimeSpan.FromSeconds(2));

        Assert.Equal((null, true), (outcome.ExitCode, outcome.TimedOut));
        Assert.Equal("[agent] the startup script was killed after 2 s (Files:StartupScriptTimeout)", outcome.LastLines[^1]);
        var child = int.Parse(await File.ReadAllTextAsync(pidFile, TestContext.Current.CancellationToken));
        // SIGKILL is sent by the time Run returns; the kernel may take a moment to finish the process off.
        for (var i = 0; i < 100 && Alive(child); i++) await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(Alive(child));
    }

    /// <summary>Running, not a zombie waiting for a parent (this container's first process may not reap them).</summary>
    private static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Trim()[0] != 'Z';

    [Fact]
    public async Task a_daemon_the_script_leaves_running_does_not_hold_the_agent()
    {
        var pidFile = Path.Combine(_folder, "daemon.pid");
        // The daemon keeps the script's output open; the script itself is done at once.
        var outcome = await Run($"sleep 300 &\necho $! > {pidFile}\necho daemon started\n", TimeSpan.FromMinutes(2));

        var daemon = Process.GetProcessById(int.Parse(await File.ReadAllTextAsync(pidFile, TestContext.Current.CancellationToken)));
        try
        {
            Assert.Equal((0, false), (outcome.ExitCode, outcome.TimedOut));
            Assert.True(Alive(daemon.Id));
        }
        finally
        {
            daemon.Kill();
        }
    }
}
