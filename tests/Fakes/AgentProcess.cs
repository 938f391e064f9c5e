namespace Conpaas.Fakes;

/// <summary>The agent processes of a local cloud, found as an operator finds them: by command line in /proc.</summary>
public static class AgentProcess
{
    public sealed record Info(int Pid, string VmName, string CommandLine);

    public static IReadOnlyList<Info> Of(string cloudDirectory) =>
        Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Cmd: CommandLine(pid)))
            .Where(p => p.Cmd is { } cmd && cmd.Contains("Conpaas.Agent") && cmd.Contains(cloudDirectory))
            .Select(p => new Info(p.Pid, VmName(p.Cmd!), p.Cmd!))
            .ToList();

    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? Environment(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Replace('\0', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string VmName(string cmd)
    {
        var parts = cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(parts, "--vm-name");
        return i >= 0 && i + 1 < parts.Length ? parts[i + 1] : "";
    }

    public static void KillAll(string cloudDirectory)
    {
        foreach (var agent in Of(cloudDirectory))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(agent.Pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
    }
}
