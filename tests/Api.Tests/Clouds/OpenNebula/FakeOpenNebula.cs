using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conpaas.Api.Tests.Clouds.OpenNebula;

/// <summary>
/// An OpenNebula front-end in this process, on a loopback port: oned's XML-RPC endpoint with the calls of the 6.x
/// "XML-RPC Server API" reference the driver uses — one.vm.allocate, one.vm.action, one.vmpool.info, one.vm.info — each
/// answering [true, value, code] or [false, "message", code] with the reference's error codes. A VM goes PENDING →
/// ACTIVE/PROLOG → ACTIVE/BOOT → ACTIVE/RUNNING, one step every <see cref="StepTime"/> (or ends in BOOT_FAILURE), and
/// answers the agent's health check on its own loopback address while RUNNING; terminate-hard makes it DONE.
/// </summary>
public sealed class FakeOpenNebula : IAsyncDisposable
{
    public const string User = "oneadmin", Password = "one-secret";
    public const int ImageId = 7, NetworkId = 3;

    // STATE and LCM_STATE numbers of the 6.x "Virtual Machine States Reference".
    private const int Pending = 1, Active = 3, Done = 6, LcmInit = 0, Prolog = 1, Boot = 2, Running = 3, BootFailure = 36;

    public sealed class Vm
    {
        public required int Id { get; init; }
        public required string Name { get; init; }
        public required string Template { get; init; }
        public required string Ip { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public required bool WillFail { get; init; }
        public int State { get; set; } = Pending;
        public int LcmState { get; set; } = LcmInit;
        public FakeVmHealth? Health { get; set; }
    }

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<Vm> _vms = [];
    private readonly (Func<int, string> Address, int Port) _addresses = FakeVmHealth.Addresses();
    private int _next = 100;

    private FakeOpenNebula(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;
    public int AgentPort => _addresses.Port;
    public TimeSpan StepTime { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>The user's VM quota: an allocation past it is refused.</summary>
    public int? VmQuota { get; set; }
    public bool DropNextAllocateResponse { get; set; }
    public bool NextBootFails { get; set; }
    /// <summary>The next calls answer HTTP 503, as an overloaded front-end (or the proxy before it) does.</summary>
    public int BusyCalls { get; set; }
    public int AllocateCalls { get; private set; }
    public List<string> Calls { get; } = [];

    /// <summary>The VMs not DONE.</summary>
    public IReadOnlyList<Vm> Vms
    {
        get
        {
            lock (_lock) return _vms.Where(v => v.State != Done).ToList();
        }
    }

    public Dictionary<string, string?> Keys() => new()
    {
        ["URL"] = new Uri(Url, "/RPC2").ToString(),
        ["USER"] = User,
        ["PASSWORD"] = Password,
        ["IMAGE_ID"] = ImageId.ToString(CultureInfo.InvariantCulture),
        ["INST_TYPE"] = "small",
        ["NET_ID"] = NetworkId.ToString(CultureInfo.InvariantCulture),
        ["NET_GATEWAY"] = "10.1.0.1",
        ["NET_NETMASK"] = "255.255.0.0",
        ["NET_NAMESERVER"] = "10.1.0.2",
        ["OS_ARCH"] = "x86_64",
        ["OS_ROOT"] = "vda1",
        ["DISK_TARGET"] = "vda",
        ["CONTEXT_TARGET"] = "vdb",
        ["AGENT_PORT"] = AgentPort.ToString(CultureInfo.InvariantCulture),
    };

    public static async Task<FakeOpenNebula> Start()
    {
        var app = Conpaas.Fakes.LoopbackApp.Create();
        var fake = new FakeOpenNebula(app);
        app.MapPost("/RPC2", (Delegate)fake.Handle);
        await app.StartAsync();
        fake.Url = Conpaas.Fakes.LoopbackApp.Address(app);
        return fake;
    }

    private async Task<IResult> Handle(HttpContext http)
    {
        var call = await XElement.LoadAsync(http.Request.Body, LoadOptions.None, http.RequestAborted);
        var method = call.Element("methodName")!.Value;
        var parameters = call.Element("params")!.Elements("param").Select(p => p.Element("value")!).Select(v => v.Elements().FirstOrDefault()?.Value ?? v.Value).ToList();
        lock (_lock)
        {
            Calls.Add(method);
            if (BusyCalls > 0)
            {
                BusyCalls--;
                return Results.StatusCode(503);
            }

            if (parameters.FirstOrDefault() != $"{User}:{Password}")
                return Xml(Answer(false, $"[{method}] User couldn't be authenticated, aborting call.", 0x0100).Response);
            var answer = method switch
            {
                "one.vm.allocate" => Allocate(parameters[1]),
                "one.vm.action" => Action(parameters[1], int.Parse(parameters[2], CultureInfo.InvariantCulture)),
                "one.vmpool.info" => Answer(true, new XElement("VM_POOL",
                    _vms.Where(v => v.State != Done).Select(VmXml)).ToString(SaveOptions.DisableFormatting), 0),
                "one.vm.info" => _vms.FirstOrDefault(v => v.Id == int.Parse(parameters[1], CultureInfo.InvariantCulture)) is { } vm
                    ? Answer(true, VmXml(vm).ToString(SaveOptions.DisableFormatting), 0)
                    : Answer(false, $"[one.vm.info] Error getting virtual machine [{parameters[1]}].", 0x0400),
                _ => null,
            };
            if (answer is null)
                return Xml(new XElement("methodResponse", new XElement("fault", new XElement("value", new XElement("struct",
                    new XElement("member", new XElement("name", "faultCode"), new XElement("value", new XElement("int", "-506"))),
                    new XElement("member", new XElement("name", "faultString"), new XElement("value", new XElement("string", $"Method {method} not defined"))))))));
            if (method == "one.vm.allocate" && DropNextAllocateResponse && answer.Success)
            {
                DropNextAllocateResponse = false;
                http.Abort();
                return Results.Empty;
            }

            return Xml(answer.Response);
        }
    }

    private sealed record RpcAnswer(bool Success, XElement Response);

    /// <summary>one.vm.allocate(session, template, hold): the new VM's id; the template must name an existing image and network.</summary>
    private RpcAnswer Allocate(string template)
    {
        AllocateCalls++;
        var name = Regex.Match(template, "^NAME = \"([^\"]*)\"", RegexOptions.Multiline).Groups[1].Value;
        if (!Regex.IsMatch(template, $"DISK = \\[[^\\]]*IMAGE_ID = \"{ImageId}\""))
            return Answer(false, "[one.vm.allocate] Error allocating a new virtual machine template. Cannot get IMAGE_ID: image does not exist", 0x4000);
        if (!Regex.IsMatch(template, $"NIC = \\[[^\\]]*NETWORK_ID = \"{NetworkId}\""))
            return Answer(false, "[one.vm.allocate] Error allocating a new virtual machine template. Cannot get virtual network", 0x4000);
        if (_vms.Count(v => v.State != Done) >= VmQuota)
            return Answer(false, $"[one.vm.allocate] User [0] : user [0] limit of {VmQuota} reached for VMS quota in VM.", 0x0200);
        var vm = new Vm
        {
            Id = _next++, Name = name.Length > 0 ? name : $"one-{_next}", Template = template, Ip = _addresses.Address(_next),
            CreatedAt = DateTimeOffset.UtcNow, WillFail = NextBootFails,
        };
        NextBootFails = false;
        _vms.Add(vm);
        return Answer(true, vm.Id, 0);
    }

    /// <summary>one.vm.action(session, action, id): terminate-hard ends any VM not DONE.</summary>
    private RpcAnswer Action(string action, int id)
    {
        var vm = _vms.FirstOrDefault(v => v.Id == id && v.State != Done);
        if (vm is null) return Answer(false, $"[one.vm.action] Error getting virtual machine [{id}].", 0x0400);
        if (action != "terminate-hard") return Answer(false, $"[one.vm.action] Action \"{action}\" is not supported", 0x1000);
        vm.Health?.Dispose();
        (vm.State, vm.LcmState) = (Done, LcmInit);
        return Answer(true, id, 0);
    }

    /// <summary>The VM as &lt;VM&gt; of one.vm.info, its state advanced by the time since it was allocated.</summary>
    private XElement VmXml(Vm vm)
    {
        if (vm.State != Done)
        {
            var steps = (int)((DateTimeOffset.UtcNow - vm.CreatedAt) / StepTime);
            (vm.State, vm.LcmState) = steps switch
            {
                0 => (Pending, LcmInit),
                1 => (Active, Prolog),
                2 => (Active, Boot),
                _ => (Active, vm.WillFail ? BootFailure : Running),
            };
            if (vm.LcmState == Running) vm.Health ??= new FakeVmHealth(vm.Ip, AgentPort);
        }

        return new XElement("VM",
            new XElement("ID", vm.Id), new XElement("UID", 0), new XElement("GID", 0), new XElement("UNAME", User), new XElement("GNAME", "oneadmin"),
            new XElement("NAME", vm.Name), new XElement("STATE", vm.State), new XElement("LCM_STATE", vm.LcmState),
            new XElement("STIME", vm.CreatedAt.ToUnixTimeSeconds()), new XElement("ETIME", 0),
            new XElement("TEMPLATE",
                new XElement("CPU", "1"), new XElement("MEMORY", "1024"),
                new XElement("NIC", new XElement("NETWORK_ID", NetworkId), new XElement("IP", vm.Ip), new XElement("NIC_ID", 0))),
            new XElement("USER_TEMPLATE"));
    }

    private static RpcAnswer Answer(bool success, object value, int code) =>
        new(success, new XElement("methodResponse", new XElement("params", new XElement("param", new XElement("value",
            new XElement("array", new XElement("data",
                new XElement("value", new XElement("boolean", success ? 1 : 0)),
                new XElement("value", value is int i ? new XElement("i4", i) : new XElement("string", value)),
                new XElement("value", new XElement("i4", code)))))))));

    private static IResult Xml(XElement response) =>
        Results.Text("<?xml version=\"1.0\"?>" + response.ToString(SaveOptions.DisableFormatting), "text/xml");

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
            foreach (var vm in _vms) vm.Health?.Dispose();
        await _app.DisposeAsync();
    }
}
