using System.Globalization;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Clouds;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Conpaas.Domain.Vpn;
using Xunit;

namespace Conpaas.Domain.Tests.Services;

/// <summary>
/// Builds aggregates the way Marten does (create from the first event, Apply the rest, Version = events applied)
/// and plays decisions forward so multi-step scenarios chain: start → ready → add nodes → …
/// </summary>
internal static class ServiceTestKit
{
    // The last 8 hex digits are what VM names show (VmNaming.Short).
    public static readonly Guid OwnerId = Guid.Parse("00000000-0000-7000-8000-0000a11ce000");
    public static readonly Guid AppId = Guid.Parse("00000000-0000-7000-8000-0000abcdef12");
    public static readonly Guid ServiceId = Guid.Parse("00000000-0000-7000-8000-00005e4f1ce5");
    public static readonly DateTimeOffset Now = new(2025, 3, 14, 15, 9, 26, TimeSpan.Zero);

    public const string NamePrefix = "conpaas-ua11ce000-aabcdef12";
    public const string FirstSubnet = "172.16.0.0/17";
    public const string Ec2Problem = "Missing ec2 config param IMAGE_ID for cloud 'ec2-eu'";

    public static readonly CloudDirectory Clouds = new(
    [
        new CloudInfo("default", "local", true, []),
        new CloudInfo("ec2-eu", "ec2", false, [Ec2Problem]),
        new CloudInfo("other", "sim", false, []),
    ]);

    /// <summary>The installation guide's example: 172.16.0.0 / 255.240.0.0, 5 service bits → 32 services of /17.</summary>
    public static readonly VpnPlan GuidesVpn = VpnPlan.Create(new VpnSettings("172.16.0.0", "255.240.0.0", 5));

    public static ServiceAdded Added(string type = "helloworld", int sid = 1, string? subnet = FirstSubnet, Guid? id = null) =>
        new(id ?? ServiceId, AppId, OwnerId, sid, type, $"New {type} service", subnet, Now);

    public static ApplicationCreated AppCreated(string name = "shop", string? network = "172.16.0.0/12") =>
        new(AppId, OwnerId, name, network, Now);

    /// <summary>A service built from its events, as Marten's inline snapshot would be (the same Evolve).</summary>
    public static Service Given(params object[] events) => Fold<Service>(Service.After, events);

    public static Application GivenApplication(params object[] events) => Fold<Application>(Application.After, events);

    public static Vm GivenVm(params object[] events) => Fold<Vm>(Vm.After, events);

    public static void Apply(Service service, object e) => Next(Service.After, service, e);

    public static void Apply(Application app, object e) => Next(Application.After, app, e);

    public static void Apply(Vm vm, object e) => Next(Vm.After, vm, e);

    private static T Fold<T>(Func<T?, object, T?> evolve, object[] events) where T : class
    {
        var state = evolve(null, events[0]) ?? throw new InvalidOperationException($"{events[0].GetType().Name} does not begin a {typeof(T).Name} stream");
        ((dynamic)state).Version = 1;
        foreach (var e in events.Skip(1)) Next(evolve, state, e);
        return state;
    }

    private static void Next<T>(Func<T?, object, T?> evolve, T state, object e) where T : class
    {
        evolve(state, e);
        ((dynamic)state).Version++;
    }

    public static T Single<T>(this Decision decision) => Assert.Single(decision.Events.OfType<T>());

    /// <summary>The events sent to one other stream, in order.</summary>
    public static List<object> To(this Decision decision, Guid streamId) =>
        decision.Others.Where(o => o.StreamId == streamId).Select(o => o.Event).ToList();

    public static List<T> OthersOf<T>(this Decision decision) => decision.Others.Select(o => o.Event).OfType<T>().ToList();

    public static List<string> EventNames(this Decision decision) => decision.Events.Select(e => e.GetType().Name).ToList();

    public static void AssertNothing(this Decision decision)
    {
        Assert.False(decision.IsRefused, decision.Error?.Message);
        Assert.Empty(decision.Events);
        Assert.Empty(decision.Others);
    }

    public static DomainError Refused(this Decision decision, ErrorCode code)
    {
        Assert.True(decision.IsRefused, "expected a refusal but the decision was accepted with " +
            string.Join(", ", decision.Events.Select(e => e.GetType().Name)));
        Assert.Equal(code, decision.Error!.Code);
        Assert.Empty(decision.Events);
        Assert.Empty(decision.Others);
        return decision.Error;
    }

    /// <summary>"backend=1, proxy=0, web=0": dictionaries compared independent of their order.</summary>
    public static string Counts(IEnumerable<KeyValuePair<string, int>> counts) =>
        string.Join(", ", counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    public static string VmName(string type, int number, int sid = 1) => $"{NamePrefix}-s{sid}-{type}-{number}";
}

/// <summary>
/// One service and the VMs it requested, played forward decision by decision. <see cref="Then"/> applies a
/// decision's events to the service, its VM events to the VM aggregates and its application events to a list.
/// </summary>
internal sealed class ServiceScenario
{
    private int _ids;

    public ServiceScenario(params object[] given)
    {
        Service = ServiceTestKit.Given(given);
        Vpn = Service.Subnet is null ? VpnPlan.Disabled : ServiceTestKit.GuidesVpn;
        States.Add(Service.State);
    }

    public Service Service { get; }
    public Dictionary<Guid, Vm> Vms { get; } = [];
    public List<object> ApplicationEvents { get; } = [];
    /// <summary>Every state the service passed through, in order.</summary>
    public List<ServiceState> States { get; } = [];
    public int Credit { get; set; } = 50;
    public VpnPlan Vpn { get; set; }
    public CloudDirectory Clouds { get; set; } = ServiceTestKit.Clouds;

    /// <summary>Predictable VM ids: …-000000000001, …-000000000002, …</summary>
    public Guid NewId() => Guid.Parse($"00000000-0000-7000-9000-{++_ids:x12}");

    public ServiceContext Context => new(Clouds, Vpn, Credit, NewId, ServiceTestKit.Now);

    public static ServiceScenario Added(string type = "helloworld") => new(ServiceTestKit.Added(type));

    public static ServiceScenario Started(string type = "helloworld", string? cloud = null)
    {
        var scenario = Added(type);
        scenario.Start(cloud);
        return scenario;
    }

    public static ServiceScenario Running(string type = "helloworld", string? cloud = null)
    {
        var scenario = Started(type, cloud);
        scenario.ReadyAll();
        Assert.Equal(ServiceState.RUNNING, scenario.Service.State);
        return scenario;
    }

    /// <summary>Applies an accepted decision everywhere it belongs and hands it back for assertions.</summary>
    public Decision Then(Decision decision)
    {
        Assert.False(decision.IsRefused, decision.Error?.Message);
        foreach (var e in decision.Events)
        {
            ServiceTestKit.Apply(Service, e);
            if (States[^1] != Service.State) States.Add(Service.State);
        }

        foreach (var other in decision.Others)
        {
            if (other.StreamId == Service.ApplicationId)
                ApplicationEvents.Add(other.Event);
            else if (other.Event is VmRequested requested)
            {
                Assert.Equal(requested.VmId, other.StreamId);
                Assert.False(Vms.ContainsKey(requested.VmId), $"VM {requested.VmId} requested twice");
                Vms[requested.VmId] = ServiceTestKit.GivenVm(requested);
            }
            else
                ServiceTestKit.Apply(Assert.Contains(other.StreamId, Vms), other.Event);
        }

        return decision;
    }

    // The commands and the cloud's reports, each applied.
    public Decision Start(string? cloud = null) => Then(StartService.Decide(Service, cloud, Context));
    public Decision Stop() => Then(StopService.Decide(Service));
    public Decision Remove() => Then(RemoveService.Decide(Service));
    public Decision AddNodes(params NodeCount[] nodes) => Then(Conpaas.Domain.Services.AddNodes.Decide(Service, nodes, null, Context));
    public Decision RemoveNodes(params NodeCount[] nodes) => Then(Conpaas.Domain.Services.RemoveNodes.Decide(Service, nodes, null, Clouds));
    public Decision Ready(Guid vmId) => Then(VmOutcomes.Ready(Service, Vms[vmId], AddressOf(vmId)));
    public Decision Terminated(Guid vmId) => Then(VmOutcomes.Terminated(Service, Vms[vmId]));
    public Decision Lost(Guid vmId, string reason = "the cloud no longer has it") => Then(VmOutcomes.Lost(Service, Vms[vmId], reason, Context));
    public Decision Failed(Guid vmId, string reason = "did not become ready within 300 s") =>
        Then(VmOutcomes.Failed(Service, Vms[vmId], reason, Context));

    /// <summary>Every node still waiting becomes ready, in node order.</summary>
    public void ReadyAll()
    {
        foreach (var node in Service.Nodes.Where(n => n.Status == NodeStatus.Requested).OrderBy(n => n.Number).ToList())
            Ready(node.VmId);
    }

    /// <summary>The cloud confirms every termination that was asked for.</summary>
    public void TerminateAll()
    {
        foreach (var vm in Vms.Values.Where(v => v.IsLive && v.State is VmState.TERMINATING or VmState.FAILED).ToList())
            Terminated(vm.Id);
    }

    public Node Node(int number) => Assert.Single(Service.Nodes, n => n.Number == number);
    /// <summary>The VM whose name ends in -number.</summary>
    public Vm VmNo(int number) => Assert.Single(Vms.Values, v => NumberOf(v.Id) == number);
    public Guid VmId(int number) => VmNo(number).Id;

    public IEnumerable<Vm> LiveVms => Vms.Values.Where(v => v.IsLive);

    /// <summary>Where a VM answers once ready (the local cloud's host:port).</summary>
    public string AddressOf(Guid vmId) =>
        string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{20000 + NumberOf(vmId)}");

    public int NumberOf(Guid vmId) => int.Parse(Vms[vmId].Name.Split('-')[^1], CultureInfo.InvariantCulture);
}
