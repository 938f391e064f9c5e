using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Conpaas.CloudAgents.Boot;

namespace Conpaas.CloudAgents.Drivers.OpenNebula;

/// <summary>
/// The opennebula cloud: a VM is an OpenNebula VM of the VM's name, made from the template the installation guide
/// describes (one.vm.allocate), found by name in the pool (one.vmpool.info), removed with one.vm.action terminate-hard.
/// OpenNebula allows several VMs of one name, so a create first looks the name up, and looks again when its answer was lost.
/// </summary>
public sealed class OpenNebulaDriver(OpenNebulaSettings settings, string cloud, IHttpClientFactory http) : ICloudDriver
{
    /// <summary>OpenNebula sets no limit of its own; this keeps a template (stored in oned's database, sent to every
    /// host) reasonable. The agent's user data is a few KiB.</summary>
    public const int MaxUserData = 1024 * 1024;

    // VM STATE and LCM_STATE (OpenNebula 6.x "Virtual Machine States Reference").
    private const int StateActive = 3, StateDone = 6, StateFailed = 7, StateCloningFailure = 11, LcmRunning = 3;
    private static readonly HashSet<int> LcmFailures = [14, 36, 37, 38, 39, 40, 41, 42, 44, 46, 47, 48, 49, 50];

    private readonly OpenNebulaClient _one = new(settings, cloud, http);

    private sealed record OneVm(int Id, string Name, int State, int LcmState, string? Ip);

    public async Task<CloudVm> Create(VmSpec spec, CancellationToken ct)
    {
        if (settings.Problems(cloud) is [var problem, ..]) throw new CloudDriverException(problem, transient: false);
        var userData = spec.UserData is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(spec.UserData));
        if (userData?.Length > MaxUserData)
            throw new CloudDriverException($"The user data of {spec.Name} is {userData.Length} bytes in base64; this Director sends OpenNebula at most {MaxUserData}", transient: false);
        if (await Find(spec.Name, ct) is { } existing) return Vm(existing, failIfBroken: true);

        OneAnswer answer;
        try
        {
            answer = await _one.Call("one.vm.allocate", [Template(spec, userData), false], ct);
        }
        catch (CloudDriverException ex) when (ex.Transient && !ct.IsCancellationRequested)
        {
            // The answer may have been lost after oned made the VM: find it rather than make a second one next time.
            if (await Find(spec.Name, ct) is { } made) return Vm(made, failIfBroken: true);
            throw;
        }

        if (!answer.Success) throw answer.Failure("one.vm.allocate");
        return new CloudVm(spec.Name, answer.Value, null, CloudVmStatus.Pending);
    }

    public async Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) =>
        (await Pool(ct)).Where(v => v.Name.StartsWith(namePrefix, StringComparison.Ordinal)).Select(v => Vm(v, failIfBroken: false)).ToList();

    public async Task<CloudVm?> Describe(string name, CancellationToken ct) =>
        await Find(name, ct) is { } vm ? Vm(vm, failIfBroken: false) : null;

    public async Task Terminate(string name, CancellationToken ct)
    {
        // Every VM of the name: a duplicate made behind our back must not outlive the VM.
        foreach (var vm in (await Pool(ct)).Where(v => v.Name == name))
        {
            var answer = await _one.Call("one.vm.action", ["terminate-hard", vm.Id], ct);
            if (!answer.Success && answer.Code != OneAnswer.NoExists) throw answer.Failure("one.vm.action terminate-hard");
        }
    }

    public async Task<bool> IsReady(CloudVm vm, CancellationToken ct)
    {
        var one = int.TryParse(vm.ProviderId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? await Info(id, ct) : await Find(vm.Name, ct);
        if (one is null || one.Name != vm.Name) return false;
        return Vm(one, failIfBroken: true) is { Status: CloudVmStatus.Running, Address: { } address }
               && await AgentHealth.Answers(http, address, ct);
    }

    /// <summary>Live: do the keys make sense, and does oned take the credentials?</summary>
    public async Task<IReadOnlyList<string>> Problems(CancellationToken ct)
    {
        if (settings.Problems(cloud) is { Count: > 0 } problems) return problems;
        try
        {
            await Pool(ct);
            return [];
        }
        catch (CloudDriverException ex)
        {
            return [ex.Message];
        }
    }

    private async Task<OneVm?> Find(string name, CancellationToken ct) => (await Pool(ct)).FirstOrDefault(v => v.Name == name);

    /// <summary>one.vmpool.info: every VM the user can see (filter -2), in any state but DONE (-1), all ids (-1, -1).</summary>
    private async Task<List<OneVm>> Pool(CancellationToken ct)
    {
        var answer = await _one.Call("one.vmpool.info", [-2, -1, -1, -1], ct);
        if (!answer.Success) throw answer.Failure("one.vmpool.info");
        return XElement.Parse(answer.Value).Elements("VM").Select(Parse).Where(v => v.State != StateDone).ToList();
    }

    /// <summary>one.vm.info: one VM, or null when oned has no such VM.</summary>
    private async Task<OneVm?> Info(int id, CancellationToken ct)
    {
        var answer = await _one.Call("one.vm.info", [id, false], ct);
        if (!answer.Success) return answer.Code == OneAnswer.NoExists ? null : throw answer.Failure("one.vm.info");
        var vm = Parse(XElement.Parse(answer.Value));
        return vm.State == StateDone ? null : vm;
    }

    private static OneVm Parse(XElement vm)
    {
        int Int(string element) => int.TryParse(vm.Element(element)?.Value, CultureInfo.InvariantCulture, out var n) ? n : -1;
        return new OneVm(Int("ID"), vm.Element("NAME")?.Value ?? "", Int("STATE"), Int("LCM_STATE"),
            vm.Element("TEMPLATE")?.Elements("NIC").Select(n => n.Element("IP")?.Value).FirstOrDefault(ip => !string.IsNullOrEmpty(ip)));
    }

    private CloudVm Vm(OneVm vm, bool failIfBroken)
    {
        if (failIfBroken && (vm.State is StateFailed or StateCloningFailure || vm.State == StateActive && LcmFailures.Contains(vm.LcmState)))
            throw new CloudDriverException($"OpenNebula VM {vm.Name} ({vm.Id}) failed (STATE {vm.State}, LCM_STATE {vm.LcmState})", transient: false);
        return new CloudVm(vm.Name, vm.Id.ToString(CultureInfo.InvariantCulture), vm.Ip is null ? null : $"{vm.Ip}:{settings.AgentPort}",
            vm.State == StateActive && vm.LcmState == LcmRunning ? CloudVmStatus.Running : CloudVmStatus.Pending);
    }

    /// <summary>
    /// The VM template of the installation guide: CPU and MEMORY, the image as DISK, a NIC on the network, OS ARCH and
    /// ROOT, and a CONTEXT with the network settings and the user data (base64, as cloud-init's OpenNebula source reads it).
    /// </summary>
    private string Template(VmSpec spec, string? userData)
    {
        var (cpu, memory) = settings.Cpu is not null && settings.Memory is not null
            ? (settings.Cpu, settings.Memory)
            : OpenNebulaSettings.InstanceTypes[settings.InstanceType];
        var context = new List<(string, string)>
        {
            ("NETWORK", "YES"), ("TARGET", settings.ContextTarget), ("ETH0_IP", "$NIC[IP]"), ("ETH0_GATEWAY", settings.Gateway),
            ("ETH0_MASK", settings.Netmask), ("ETH0_DNS", settings.Nameserver), ("CONPAAS_VM_ID", spec.VmId.ToString()),
        };
        if (userData is not null) context.AddRange([("USER_DATA", userData), ("USERDATA_ENCODING", "base64")]);
        return string.Join('\n',
            $"NAME = {Quote(spec.Name)}",
            $"CPU = {Quote(cpu)}",
            $"MEMORY = {Quote(memory)}",
            Vector("OS", ("ARCH", settings.OsArch), ("ROOT", settings.OsRoot)),
            Vector("DISK", ("IMAGE_ID", settings.ImageId), ("TARGET", settings.DiskTarget)),
            Vector("NIC", ("NETWORK_ID", settings.NetworkId)),
            Vector("CONTEXT", [.. context]));
    }

    private static string Vector(string name, params (string Key, string Value)[] attributes) =>
        $"{name} = [ {string.Join(", ", attributes.Select(a => $"{a.Key} = {Quote(a.Value)}"))} ]";

    /// <summary>A template string value: double quotes, with quotes and backslashes escaped.</summary>
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
