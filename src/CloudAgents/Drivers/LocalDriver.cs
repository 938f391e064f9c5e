using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>
/// The "local" cloud (ConPaaS's Nutshell idea): a VM is a detached agent process on its own loopback address.
/// Each VM has a folder under the cloud's data folder holding its boot context, pid and log; the processes
/// outlive the Director, which adopts them again by name.
/// </summary>
public sealed class LocalDriver(LocalDriver.Settings settings, IHttpClientFactory http, ILogger<LocalDriver> log) : ICloudDriver
{
    /// <summary><paramref name="AgentAssembly"/>: null for the agent of the served tarball, unpacked into each VM's folder.</summary>
    public sealed record Settings(string DataDirectory, string AddressPrefix, int Port, string? AgentAssembly);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly SemaphoreSlim _gate = new(1, 1);

    private sealed record VmRecord(string Name, Guid VmId, int Index, string Address);

    public async Task<CloudVm> Create(VmSpec spec, CancellationToken ct)
    {
        VmRecord record;
        var folder = Folder(spec.Name);
        var launched = false;
        await _gate.WaitAsync(ct);
        try
        {
            // A file lock too: several Director nodes may share one machine's local cloud.
            Directory.CreateDirectory(settings.DataDirectory);
            await using var fileLock = await LockCloud(settings.DataDirectory, ct);
            var existing = File.Exists(Path.Combine(folder, "vm.json"))
                ? JsonSerializer.Deserialize<VmRecord>(await File.ReadAllTextAsync(Path.Combine(folder, "vm.json"), ct), Json)
                : null;
            var running = Find(spec.Name) is not null;
            // An address another process took meanwhile (another Director's local cloud, any server) is left to it:
            // retrying there would fail every time.
            record = existing is not null && (running || Bindable(existing.Address)) ? existing : await NewRecord(spec, folder, ct);
            if (!running)
            {
                await Launch(record, folder, ct);
                launched = true;
            }
        }
        finally
        {
            _gate.Release();
        }

        if (launched) await AwaitStart(record, folder, ct);
        return new CloudVm(record.Name, ProviderId(record.Address), record.Address, CloudVmStatus.Pending);
    }

    public Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<CloudVm>>(Agents().Where(a => a.Name.StartsWith(namePrefix, StringComparison.Ordinal))
            .Select(a => new CloudVm(a.Name, ProviderId(a.Listen), a.Listen, CloudVmStatus.Running)).ToList());

    public Task<CloudVm?> Describe(string name, CancellationToken ct) =>
        Task.FromResult(Find(name) is { } a ? new CloudVm(a.Name, ProviderId(a.Listen), a.Listen, CloudVmStatus.Running) : null);

    public async Task Terminate(string name, CancellationToken ct)
    {
        foreach (var agent in AllAgents().Where(a => a.Name == name)) Signal(agent.Pid, Sigterm);
        for (var i = 0; i < 50 && Find(name) is not null; i++) await Task.Delay(100, ct);
        foreach (var stubborn in AllAgents().Where(a => a.Name == name)) Signal(stubborn.Pid, Sigkill);

        var folder = Folder(name);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public Task<bool> IsReady(CloudVm vm, CancellationToken ct) => Boot.AgentHealth.Answers(http, vm.Address, ct);

    private async Task<VmRecord> NewRecord(VmSpec spec, string folder, CancellationToken ct)
    {
        var used = Directory.GetDirectories(settings.DataDirectory)
            .Select(f => Path.Combine(f, "vm.json")).Where(File.Exists)
            .Select(f => JsonSerializer.Deserialize<VmRecord>(File.ReadAllText(f), Json)!.Address)
            .Concat(Agents().Select(a => a.Listen)) // an agent whose folder vanished still holds its address
            .ToHashSet();
        // Addresses bound by anyone else on this host are skipped: two Directors (or anything listening on the port)
        // never collide, whatever their ADDRESS_PREFIX.
        var index = Enumerable.Range(1, 250 * 250).FirstOrDefault(i => !used.Contains(Address(i)) && Bindable(Address(i)));
        if (index == 0) throw new CloudDriverException($"no free address left under {settings.AddressPrefix}.*:{settings.Port}", transient: true);
        var record = new VmRecord(spec.Name, spec.VmId, index, Address(index));
        Directory.CreateDirectory(folder);
        await WriteOwnerOnly(Path.Combine(folder, "boot.json"), JsonSerializer.Serialize(spec.Boot, Json), ct);
        await File.WriteAllTextAsync(Path.Combine(folder, "vm.json"), JsonSerializer.Serialize(record, Json), ct);
        return record;
    }

    /// <summary>
    /// Writes a secret (the boot context carries the VM's credential and private key): the file is created readable by
    /// its owner only, so not even its first byte is ever readable by others, whatever the umask.
    /// </summary>
    public static async Task WriteOwnerOnly(string path, string text, CancellationToken ct)
    {
        // A file left by an interrupted attempt keeps the mode it was created with: start from a new one.
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var stream = new FileStream(path, options);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(text.AsMemory(), ct);
    }

    private async Task Launch(VmRecord record, string folder, CancellationToken ct)
    {
        var pidFile = Path.Combine(folder, "pid");
        File.Delete(pidFile);
        // setsid --fork: the agent gets a session of its own, so neither Ctrl-C nor the Director's death reaches it.
        var start = new System.Diagnostics.ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "--fork", "/bin/sh", "-c", "exec \"$@\" >>\"$AGENT_LOG\" 2>&1 </dev/null", "agent",
                     DotnetHost(), settings.AgentAssembly ?? Boot.AgentPackage.Director.Unpack(folder), "--vm-name", record.Name, "--listen", record.Address,
                     "--boot", Path.Combine(folder, "boot.json"), "--pid-file", pidFile,
                 })
            start.ArgumentList.Add(arg);
        start.Environment["AGENT_LOG"] = Path.Combine(folder, "agent.log");
        start.Environment["DOTNET_gcServer"] = "0";
        using (var launcher = System.Diagnostics.Process.Start(start)!) await launcher.WaitForExitAsync(ct);
    }

    /// <summary>Waits (without holding the driver's lock) until the agent has started or died.</summary>
    private async Task AwaitStart(VmRecord record, string folder, CancellationToken ct)
    {
        var pidFile = Path.Combine(folder, "pid");
        // Just after the launcher returns, the agent may be between fork and exec and not yet show in /proc:
        // only a process absent for half a second has died.
        for (int i = 0, absent = 0; i < 100 && !File.Exists(pidFile) && absent < 10; i++)
        {
            absent = Find(record.Name) is null ? absent + 1 : 0;
            await Task.Delay(50, ct);
        }
        if (!File.Exists(pidFile))
            throw new CloudDriverException($"The agent of {record.Name} did not start: {Cause(Path.Combine(folder, "agent.log"))}", transient: true);
        log.LogInformation("Local VM {Name} started at {Address}", record.Name, record.Address);
    }

    private sealed record Agent(int Pid, string Name, string Listen);

    /// <summary>
    /// This cloud's agents as the machine sees them: live processes whose command line boots from this cloud's
    /// folder (how an operator would find them with ps). Zombies do not count.
    /// </summary>
    private List<Agent> Agents() =>
        // The launcher shell and the agent it becomes share a command line for an instant: count each name once.
        AllAgents().GroupBy(a => a.Name).Select(g => g.OrderByDescending(a => a.Pid).First()).ToList();

    private List<Agent> AllAgents()
    {
        var agents = new List<Agent>();
        var bootPrefix = settings.DataDirectory.TrimEnd('/') + "/";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                var boot = Array.IndexOf(args, "--boot");
                if (boot < 0 || boot + 1 >= args.Length || !args[boot + 1].StartsWith(bootPrefix, StringComparison.Ordinal)) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) continue;
                var name = Array.IndexOf(args, "--vm-name");
                var listen = Array.IndexOf(args, "--listen");
                if (name >= 0 && listen >= 0 && name + 1 < args.Length && listen + 1 < args.Length)
                    agents.Add(new Agent(pid, args[name + 1], args[listen + 1]));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return agents;
    }

    private Agent? Find(string name) => Agents().FirstOrDefault(a => a.Name == name);

    private string Address(int index) => $"{settings.AddressPrefix}.{index / 250}.{index % 250 + 1}:{settings.Port}";

    private string Folder(string name) => Path.Combine(settings.DataDirectory, name);

    private static string ProviderId(string address) => $"local-{address}";

    /// <summary>
    /// The lock of a local cloud's data folder, held while an agent is launched (across every process sharing the
    /// folder); waits up to 5 s for it. Disposing the stream releases it.
    /// </summary>
    public static async Task<FileStream> LockCloud(string dataDirectory, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(Path.Combine(dataDirectory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200)
            {
                await Task.Delay(25, ct);
            }
        }
    }

    /// <summary>Whether an agent could listen there now (nothing else is bound to it).</summary>
    private static bool Bindable(string address)
    {
        var endpoint = IPEndPoint.Parse(address);
        using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Why an agent died, from the end of its log: messages only (no stack frames), shortened.</summary>
    private static string Cause(string file)
    {
        if (!File.Exists(file)) return "no log";
        var messages = File.ReadLines(file).Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("at ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal))
            .TakeLast(2);
        return Reasons.Shorten(string.Join(" | ", messages));
    }

    /// <summary>The dotnet host this Director runs on, to start the agent with the same runtime.</summary>
    private static string DotnetHost()
    {
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    private const int Sigterm = 15, Sigkill = 9;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private static void Signal(int pid, int signal) => _ = kill(pid, signal);
}
