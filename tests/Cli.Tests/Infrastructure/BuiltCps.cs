using System.Diagnostics;
using Xunit;

namespace Conpaas.Cli.Tests.Infrastructure;

/// <summary>The built cps (cps.dll next to the tests) run as a child process, as a shell runs it.</summary>
public static class BuiltCps
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "cps.dll");

    /// <summary>A folder with a `cps` on it, for PATH: what `dotnet tool install` or a download would give.</summary>
    public static string BinFolder(Cps shell)
    {
        var bin = Path.Combine(Path.GetDirectoryName(shell.ConfigDirectory)!, "bin");
        Directory.CreateDirectory(bin);
        var cps = Path.Combine(bin, "cps");
        File.WriteAllText(cps, $"#!/bin/sh\nexec dotnet '{Dll}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(cps, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    /// <summary>Runs <paramref name="file"/> with the shell's home (its ~/.conpaas) and environment; waits at most two minutes.</summary>
    public static async Task<CpsResult> Run(Cps shell, string file, params string[] args)
    {
        using var process = Start(shell, file, args);
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        return await Exit(process, output, error);
    }

    /// <summary>Starts <paramref name="file"/> with the shell's home (its ~/.conpaas), a PATH with cps on it, and the shell's environment.</summary>
    public static Process Start(Cps shell, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["HOME"] = Path.GetDirectoryName(shell.ConfigDirectory);
        info.Environment["PATH"] = BinFolder(shell) + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment.Remove("NO_COLOR");
        foreach (var (name, value) in shell.Environment) info.Environment[name] = value;
        return Process.Start(info)!;
    }

    /// <summary>Waits at most two minutes for the process to end (killing it then), and its output.</summary>
    public static async Task<CpsResult> Exit(Process process, Task<string> output, Task<string> error)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CpsResult(process.ExitCode, await output, await error);
    }
}
