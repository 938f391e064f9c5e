using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Conpaas.Fakes;

/// <summary>
/// An in-process fake of the EC2 Query API (version 2016-11-15) on a loopback port, as the real AWSSDK.EC2 client
/// speaks it: form-encoded POSTs (Action=RunInstances&amp;…) signed with SigV4, XML answers in the
/// http://ec2.amazonaws.com/doc/2016-11-15/ namespace, errors as &lt;Response&gt;&lt;Errors&gt;&lt;Error&gt;&lt;Code&gt;.
/// Built from the EC2 API Reference (docs.aws.amazon.com/AWSEC2/latest/APIReference/): each action names its page.
/// With <see cref="RunUserData"/>, an instance runs its user data as a local process in a folder of its own with
/// its own loopback address, given by an emulation of the instance metadata service (CONPAAS_METADATA_URL): the
/// Director's boot path is then exercised as on EC2. Its processes are killed on terminate and on dispose.
/// </summary>
public sealed class FakeEc2 : IAsyncDisposable
{
    public const string AccessKey = "AKIAFAKEEC2EXAMPLE", SecretKey = "fake/secret/key", Image = "ami-0c0a5a5e5c0a5a5e5";

    private static readonly XNamespace Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";

    private sealed class Instance
    {
        public required string Id { get; init; }
        public required string ImageId { get; init; }
        public required string InstanceType { get; init; }
        public required string? KeyName { get; init; }
        public required string? SubnetId { get; init; }
        public required string Address { get; init; }
        public required string? ClientToken { get; init; }
        public required string Fingerprint { get; init; }
        public required IReadOnlyDictionary<string, string> Tags { get; init; }
        public required IReadOnlyList<string> GroupIds { get; init; }
        public required string? UserData { get; init; }
        public required string? SpotMaxPrice { get; init; }
        public DateTimeOffset LaunchTime { get; } = DateTimeOffset.UtcNow;
        public DateTimeOffset? TerminatedAt { get; set; }
    }

    private sealed record Group(string Id, string Name, string Description, List<int> Ports);

    private readonly WebApplication _app;
    private readonly object _lock = new();
    private readonly List<Instance> _instances = [];
    private readonly List<Group> _groups = [];
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly string _addressPrefix = $"127.{Random.Shared.Next(30, 250)}";
    private readonly ConcurrentDictionary<string, HealthStub> _health = new();
    private int _next;
    private int _throttle;

    public FakeEc2()
    {
        _app = LoopbackApp.Create();
        _app.MapPost("/", (Delegate)Handle);
        // Instance metadata service (IMDSv2): a session token, then the instance's facts.
        _app.MapPut("/meta/{id}/latest/api/token", () => "fake-imds-token");
        _app.MapGet("/meta/{id}/latest/meta-data/{item}", (string id, string item) =>
        {
            var instance = Find(id);
            return instance is null ? Results.NotFound() : item switch
            {
                "local-ipv4" => Results.Text(instance.Address),
                "instance-id" => Results.Text(instance.Id),
                _ => Results.NotFound(),
            };
        });
    }

    /// <summary>The endpoint to give the driver (ENDPOINT).</summary>
    public string Endpoint => _app.Urls.First() + "/";

    /// <summary>The instances' folders (user data, its log, what it installs) live here.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("conpaas-fake-ec2-").FullName;

    /// <summary>Run each instance's user data as a local process.</summary>
    public bool RunUserData { get; init; }

    /// <summary>
    /// Answer each running instance's readiness check (GET /health on its address, the agent's port) without booting
    /// anything: instances are then ready as soon as they run, so that a benchmark measures the Director and the EC2 API,
    /// not the agents' boot.
    /// </summary>
    public bool AnswerHealth { get; init; }

    /// <summary>The port the Director's readiness check calls on an instance's address (the agent's port).</summary>
    public const int AgentPort = 5555;

    /// <summary>How long an instance stays pending, and shutting-down, before it is running, and terminated.</summary>
    public TimeSpan Transition { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Answer the next n requests RequestLimitExceeded (HTTP 503), as EC2 does when throttling.</summary>
    public void Throttle(int requests) => Interlocked.Exchange(ref _throttle, requests);

    public int Calls(string action) => _calls.GetValueOrDefault(action);

    public int InstanceCount
    {
        get
        {
            lock (_lock) return _instances.Count;
        }
    }

    public IReadOnlyList<int> GroupPorts(string name)
    {
        lock (_lock) return _groups.Single(g => g.Name == name).Ports.ToList();
    }

    public string? UserDataOf(string name)
    {
        lock (_lock) return _instances.LastOrDefault(i => i.Tags.GetValueOrDefault("Name") == name)?.UserData;
    }

    public IReadOnlyDictionary<string, string> TagsOf(string name)
    {
        lock (_lock) return _instances.Last(i => i.Tags.GetValueOrDefault("Name") == name).Tags;
    }

    public string? SpotPriceOf(string name)
    {
        lock (_lock) return _instances.Last(i => i.Tags.GetValueOrDefault("Name") == name).SpotMaxPrice;
    }

    public async Task Start() => await _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var stub in _health.Values) stub.Dispose();
        KillProcesses(Root);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The processes an instance's user data started (their command lines name its folder).</summary>
    public IReadOnlyList<AgentProcess.Info> Processes() =>
        AgentProcess.Of(Root);

    private async Task<IResult> Handle(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var p = form.ToDictionary(f => f.Key, f => f.Value.ToString());
        var action = p.GetValueOrDefault("Action") ?? "";
        _calls.AddOrUpdate(action, 1, (_, n) => n + 1);

        // The SDK signs with SigV4: "AWS4-HMAC-SHA256 Credential=<access key>/<date>/<region>/ec2/aws4_request, …".
        var auth = http.Request.Headers.Authorization.ToString();
        var credential = auth.Split("Credential=", 2) is [_, var rest] ? rest.Split('/')[0] : "";
        if (credential != AccessKey)
            return Error(401, "AuthFailure", "AWS was not able to validate the provided access credentials");
        if (TakeThrottle()) return Error(503, "RequestLimitExceeded", "Request limit exceeded.");

        return action switch
        {
            "RunInstances" => RunInstances(p),
            "DescribeInstances" => DescribeInstances(p),
            "TerminateInstances" => TerminateInstances(p),
            "DescribeSecurityGroups" => DescribeSecurityGroups(p),
            "CreateSecurityGroup" => CreateSecurityGroup(p),
            "AuthorizeSecurityGroupIngress" => AuthorizeSecurityGroupIngress(p),
            "DescribeImages" => DescribeImages(p),
            "DescribeRegions" => Ok("DescribeRegionsResponse", new XElement(Ns + "regionInfo",
                Item(new XElement(Ns + "regionName", "us-east-1"), new XElement(Ns + "regionEndpoint", "ec2.us-east-1.amazonaws.com")))),
            _ => Error(400, "InvalidAction", $"The action {action} is not valid for this web service."),
        };
    }

    // RunInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
    // ClientToken makes it idempotent; the same token with other parameters is IdempotentParameterMismatch
    // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
    private IResult RunInstances(Dictionary<string, string> p)
    {
        var image = p.GetValueOrDefault("ImageId") ?? "";
        if (image != Image) return Error(400, "InvalidAMIID.NotFound", $"The image id '[{image}]' does not exist");
        var token = p.GetValueOrDefault("ClientToken");
        var fingerprint = string.Join('|', image, p.GetValueOrDefault("InstanceType"), p.GetValueOrDefault("KeyName"),
            p.GetValueOrDefault("MinCount"), p.GetValueOrDefault("MaxCount"), p.GetValueOrDefault("SubnetId"));
        Instance instance;
        lock (_lock)
        {
            var earlier = token is null ? null : _instances.FirstOrDefault(i => i.ClientToken == token);
            if (earlier is not null && earlier.Fingerprint != fingerprint)
                return Error(400, "IdempotentParameterMismatch",
                    "The client token you have provided is associated with a resource that is already deleted or has different parameters.");
            if (earlier is not null) return Ok("RunInstancesResponse", Reservation(earlier));

            var n = ++_next;
            Instance? made = null;
            HealthStub? stub = null;
            // The stub needs the instance's address free on the agent's port: skip an address something on the host
            // already listens on (another test's local-cloud agent), as the local driver does.
            while (AnswerHealth && (stub = HealthStub.TryStart(Address(n), AgentPort, () => made is not null && State(made) == "running")) is null)
                n = ++_next;
            var tags = List(p, "TagSpecification.1.Tag").ToDictionary(t => t["Key"], t => t.GetValueOrDefault("Value") ?? "");
            instance = new Instance
            {
                Id = $"i-{n:x17}", ImageId = image, InstanceType = p.GetValueOrDefault("InstanceType") ?? "m1.small",
                KeyName = p.GetValueOrDefault("KeyName"), SubnetId = p.GetValueOrDefault("SubnetId"),
                Address = Address(n), ClientToken = token, Fingerprint = fingerprint, Tags = tags,
                GroupIds = Values(p, "SecurityGroupId"),
                UserData = p.GetValueOrDefault("UserData") is { } data ? Encoding.UTF8.GetString(Convert.FromBase64String(data)) : null,
                SpotMaxPrice = p.GetValueOrDefault("InstanceMarketOptions.MarketType") == "spot"
                    ? p.GetValueOrDefault("InstanceMarketOptions.SpotOptions.MaxPrice") : null,
            };
            _instances.Add(instance);
            made = instance;
            if (stub is not null) _health[instance.Id] = stub;
        }

        if (RunUserData && instance.UserData is not null) Boot(instance);
        return Ok("RunInstancesResponse", Reservation(instance));
    }

    private string Address(int n) => $"{_addressPrefix}.{n / 250}.{n % 250 + 1}";

    // DescribeInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
    // (filters tag:<key> with * wildcards, instance-state-name; InstanceId.N).
    private IResult DescribeInstances(Dictionary<string, string> p)
    {
        var ids = Values(p, "InstanceId");
        var filters = List(p, "Filter").Select(f => (Name: f["Name"], Values: f.Where(kv => kv.Key.StartsWith("Value.", StringComparison.Ordinal))
            .Select(kv => kv.Value).ToList())).ToList();
        List<Instance> matching;
        lock (_lock)
            matching = _instances.Where(i => (ids.Count == 0 || ids.Contains(i.Id)) && filters.All(f => Matches(i, f.Name, f.Values))).ToList();
        if (ids.Except(matching.Select(i => i.Id)).FirstOrDefault() is { } unknown)
            return Error(400, "InvalidInstanceID.NotFound", $"The instance ID '{unknown}' does not exist");
        return Ok("DescribeInstancesResponse", new XElement(Ns + "reservationSet", matching.Select(ReservationItem)));
    }

    // TerminateInstances: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html
    // (idempotent: terminating a terminated instance succeeds; shutting-down lasts a while).
    private IResult TerminateInstances(Dictionary<string, string> p)
    {
        var ids = Values(p, "InstanceId");
        var changes = new List<XElement>();
        lock (_lock)
        {
            if (ids.FirstOrDefault(id => _instances.All(i => i.Id != id)) is { } unknown)
                return Error(400, "InvalidInstanceID.NotFound", $"The instance ID '{unknown}' does not exist");
            foreach (var instance in _instances.Where(i => ids.Contains(i.Id)))
            {
                var previous = State(instance);
                instance.TerminatedAt ??= DateTimeOffset.UtcNow;
                changes.Add(Item(new XElement(Ns + "instanceId", instance.Id), StateElement("currentState", State(instance)),
                    StateElement("previousState", previous)));
            }
        }

        foreach (var id in ids)
        {
            KillProcesses(Path.Combine(Root, id));
            if (_health.TryRemove(id, out var stub)) stub.Dispose();
        }
        return Ok("TerminateInstancesResponse", new XElement(Ns + "instancesSet", changes));
    }

    // DescribeSecurityGroups: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html
    // (GroupName.N of a missing group is InvalidGroup.NotFound; a group-name filter answers an empty set).
    private IResult DescribeSecurityGroups(Dictionary<string, string> p)
    {
        var names = Values(p, "GroupName");
        var byFilter = List(p, "Filter").Where(f => f["Name"] == "group-name").SelectMany(f => f.Where(kv => kv.Key.StartsWith("Value.", StringComparison.Ordinal)).Select(kv => kv.Value)).ToList();
        lock (_lock)
        {
            if (names.FirstOrDefault(n => _groups.All(g => g.Name != n)) is { } missing)
                return Error(400, "InvalidGroup.NotFound", $"The security group '{missing}' does not exist in default VPC");
            var groups = _groups.Where(g => (names.Count == 0 || names.Contains(g.Name)) && (byFilter.Count == 0 || byFilter.Contains(g.Name)));
            return Ok("DescribeSecurityGroupsResponse", new XElement(Ns + "securityGroupInfo", groups.Select(g => Item(
                new XElement(Ns + "ownerId", "123456789012"), new XElement(Ns + "groupId", g.Id), new XElement(Ns + "groupName", g.Name),
                new XElement(Ns + "groupDescription", g.Description), new XElement(Ns + "ipPermissions", g.Ports.Select(port => Item(
                    new XElement(Ns + "ipProtocol", "tcp"), new XElement(Ns + "fromPort", port), new XElement(Ns + "toPort", port))))))));
        }
    }

    // CreateSecurityGroup: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
    private IResult CreateSecurityGroup(Dictionary<string, string> p)
    {
        var name = p.GetValueOrDefault("GroupName") ?? "";
        lock (_lock)
        {
            if (_groups.Any(g => g.Name == name)) return Error(400, "InvalidGroup.Duplicate", $"The security group '{name}' already exists");
            var group = new Group($"sg-{_groups.Count + 1:x17}", name, p.GetValueOrDefault("GroupDescription") ?? "", []);
            _groups.Add(group);
            return Ok("CreateSecurityGroupResponse", new XElement(Ns + "return", "true"), new XElement(Ns + "groupId", group.Id));
        }
    }

    // AuthorizeSecurityGroupIngress: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
    private IResult AuthorizeSecurityGroupIngress(Dictionary<string, string> p)
    {
        lock (_lock)
        {
            var group = _groups.FirstOrDefault(g => g.Id == p.GetValueOrDefault("GroupId"));
            if (group is null) return Error(400, "InvalidGroup.NotFound", $"The security group '{p.GetValueOrDefault("GroupId")}' does not exist");
            foreach (var permission in List(p, "IpPermissions"))
            {
                var from = int.Parse(permission["FromPort"], CultureInfo.InvariantCulture);
                var to = int.Parse(permission["ToPort"], CultureInfo.InvariantCulture);
                group.Ports.AddRange(Enumerable.Range(from, to - from + 1));
            }

            return Ok("AuthorizeSecurityGroupIngressResponse", new XElement(Ns + "return", "true"));
        }
    }

    // DescribeImages: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
    // (an ImageId.N that does not exist is InvalidAMIID.NotFound).
    private IResult DescribeImages(Dictionary<string, string> p)
    {
        var ids = Values(p, "ImageId");
        if (ids.FirstOrDefault(id => id != Image) is { } unknown) return Error(400, "InvalidAMIID.NotFound", $"The image id '[{unknown}]' does not exist");
        return Ok("DescribeImagesResponse", new XElement(Ns + "imagesSet", Item(new XElement(Ns + "imageId", Image),
            new XElement(Ns + "imageState", "available"), new XElement(Ns + "name", "conpaas-services"))));
    }

    /// <summary>Runs the user data as cloud-init would (once, as a script), in the instance's folder.</summary>
    private void Boot(Instance instance)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, instance.Id)).FullName;
        var script = Path.Combine(folder, "user-data");
        File.WriteAllText(script, instance.UserData);
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = folder };
        foreach (var arg in new[] { "/bin/sh", "-c", "exec /bin/sh \"$0\" >cloud-init-output.log 2>&1 </dev/null", script }) start.ArgumentList.Add(arg);
        start.Environment["CONPAAS_METADATA_URL"] = $"{Endpoint}meta/{instance.Id}";
        start.Environment["CONPAAS_ROOT"] = Path.Combine(folder, "opt");
        using var _ = Process.Start(start);
    }

    private static void KillProcesses(string folder)
    {
        foreach (var pid in Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var id) ? id : 0).Where(id => id > 0))
        {
            if (AgentProcess.CommandLine(pid) is not { } cmd || !cmd.Contains(folder, StringComparison.Ordinal)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
    }

    private bool TakeThrottle()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _throttle);
            if (left <= 0) return false;
        } while (Interlocked.CompareExchange(ref _throttle, left - 1, left) != left);

        return true;
    }

    private Instance? Find(string id)
    {
        lock (_lock) return _instances.FirstOrDefault(i => i.Id == id);
    }

    private string State(Instance i) =>
        i.TerminatedAt is { } at ? (DateTimeOffset.UtcNow - at < Transition ? "shutting-down" : "terminated")
        : DateTimeOffset.UtcNow - i.LaunchTime < Transition ? "pending" : "running";

    private static int StateCode(string state) => state switch
    {
        "pending" => 0, "running" => 16, "shutting-down" => 32, "terminated" => 48, "stopping" => 64, _ => 80,
    };

    private bool Matches(Instance i, string filter, List<string> values) => filter switch
    {
        "instance-state-name" => values.Contains(State(i)),
        "instance-id" => values.Contains(i.Id),
        _ when filter.StartsWith("tag:", StringComparison.Ordinal) =>
            i.Tags.TryGetValue(filter[4..], out var tag) && values.Any(v => Wildcard(v, tag)),
        _ => false,
    };

    /// <summary>EC2 filter values take * (any characters) and ? (one).</summary>
    private static bool Wildcard(string pattern, string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value,
            "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");

    /// <summary>RunInstances answers the reservation's members at the top level.</summary>
    private object[] Reservation(Instance i) =>
    [
        new XElement(Ns + "reservationId", "r-" + i.Id[2..]), new XElement(Ns + "ownerId", "123456789012"), new XElement(Ns + "groupSet"),
        new XElement(Ns + "instancesSet", InstanceItem(i)),
    ];

    private XElement ReservationItem(Instance i) => Item(Reservation(i));

    private XElement InstanceItem(Instance i)
    {
        var state = State(i);
        return Item(
            new XElement(Ns + "instanceId", i.Id), new XElement(Ns + "imageId", i.ImageId), StateElement("instanceState", state),
            new XElement(Ns + "privateDnsName", $"ip-{i.Address.Replace('.', '-')}.ec2.internal"),
            new XElement(Ns + "keyName", i.KeyName), new XElement(Ns + "amiLaunchIndex", 0), new XElement(Ns + "instanceType", i.InstanceType),
            new XElement(Ns + "launchTime", i.LaunchTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
            new XElement(Ns + "placement", new XElement(Ns + "availabilityZone", "us-east-1a")),
            i.SubnetId is null ? null : new XElement(Ns + "subnetId", i.SubnetId),
            state == "terminated" ? null : new XElement(Ns + "privateIpAddress", i.Address),
            new XElement(Ns + "groupSet", i.GroupIds.Select(g => Item(new XElement(Ns + "groupId", g)))),
            new XElement(Ns + "clientToken", i.ClientToken),
            i.SpotMaxPrice is null ? null : new XElement(Ns + "instanceLifecycle", "spot"),
            new XElement(Ns + "tagSet", i.Tags.Select(t => Item(new XElement(Ns + "key", t.Key), new XElement(Ns + "value", t.Value)))));
    }

    private static XElement StateElement(string name, string state) =>
        new(Ns + name, new XElement(Ns + "code", StateCode(state)), new XElement(Ns + "name", state));

    private static XElement Item(params object?[] content) => new(Ns + "item", content);

    private static IResult Ok(string response, params object[] content) =>
        Results.Text(new XDocument(new XElement(Ns + response, new XElement(Ns + "requestId", Guid.NewGuid()), content)).ToString(),
            "text/xml;charset=UTF-8");

    // Error responses: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-response
    private static IResult Error(int status, string code, string message) =>
        Results.Text(new XDocument(new XElement("Response", new XElement("Errors", new XElement("Error",
            new XElement("Code", code), new XElement("Message", message))), new XElement("RequestID", Guid.NewGuid()))).ToString(),
            "text/xml;charset=UTF-8", statusCode: status);

    /// <summary>The values of a list parameter: Name.1, Name.2, …</summary>
    private static List<string> Values(Dictionary<string, string> p, string name) =>
        Enumerable.Range(1, 1000).Select(n => p.GetValueOrDefault($"{name}.{n}")).TakeWhile(v => v is not null).Select(v => v!).ToList();

    /// <summary>The members of a list of structures: Name.1.Key=…&amp;Name.1.Value=… → [{Key, Value}, …].</summary>
    private static List<Dictionary<string, string>> List(Dictionary<string, string> p, string name)
    {
        var items = new List<Dictionary<string, string>>();
        for (var n = 1; ; n++)
        {
            var prefix = $"{name}.{n}.";
            var item = p.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            if (item.Count == 0) return items;
            items.Add(item);
        }
    }
}
