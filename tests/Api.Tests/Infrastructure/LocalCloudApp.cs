using System.Diagnostics;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>
/// The Director with its cloud agents at work on a real local cloud (agent processes) in a folder of its own,
/// polling fast so that tests finish quickly. Every agent process it started is killed on dispose.
/// </summary>
public class LocalCloudApp : DirectorApp
{
    public string CloudDirectory { get; } = Directory.CreateTempSubdirectory("conpaas-cloud-").FullName;

    /// <summary>Its own address block, so parallel fixtures never share a loopback address.</summary>
    public string AddressPrefix { get; } = $"127.{Random.Shared.Next(101, 250)}";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Agents:Enabled"] = "true",
        ["Agents:ReadinessPollInterval"] = "00:00:00.2",
        ["Agents:ReconcileInterval"] = "00:00:01",
        ["Agents:OrphanGracePeriod"] = "00:00:03",
        ["Agents:StalledAfter"] = "00:00:05",
        ["Clouds:default:Driver"] = "local",
        ["Clouds:default:Keys:DATA_DIR"] = CloudDirectory,
        ["Clouds:default:Keys:ADDRESS_PREFIX"] = AddressPrefix,
        ["Clouds:sim:Driver"] = "sim",
    };

    /// <summary>The pids of this cloud's agent processes, found as an operator would: by command line.</summary>
    public IReadOnlyList<int> AgentProcesses() =>
        Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) is { } cmd && cmd.Contains("Conpaas.Agent") && cmd.Contains(CloudDirectory))
            .ToList();

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var pid in AgentProcesses())
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
        }

        try
        {
            Directory.Delete(CloudDirectory, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
