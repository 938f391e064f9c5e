using System.Globalization;
using System.Net;
using System.Text;
using Amazon;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Conpaas.CloudAgents.Boot;
using Conpaas.Domain.Catalogue;
using Microsoft.Extensions.Logging;
using Ec2Filter = Amazon.EC2.Model.Filter;
using UserData = Conpaas.CloudAgents.Boot.UserData;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>
/// Amazon EC2, or any cloud that speaks its API (ENDPOINT), through AWSSDK.EC2. A VM is one instance made with
/// ClientToken = the VM's id (a retried RunInstances returns the same instance) and tagged with its name, deployment,
/// VM id, service and role, which is how List and Describe find it. The SDK retries throttling and server errors with
/// backoff; what still fails is a transient <see cref="CloudDriverException"/>, a refusal a permanent one.
/// </summary>
public sealed class Ec2Driver : ICloudDriver, IDisposable
{
    /// <summary>The keys of a cloud of driver "ec2" (director.cfg names: USER, PASSWORD, … from the original's ec2.py).</summary>
    public sealed record Settings(
        string AccessKey, string SecretKey, string Region, string ImageId, string InstanceType, string KeyName, string SecurityGroup,
        string? Endpoint, string? SubnetId, string? SpotMaxPrice, int MaxConcurrentCalls)
    {
        public static Settings From(IReadOnlyDictionary<string, string?> keys)
        {
            string? Opt(string key) => keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
            string Key(string key) => Opt(key) ?? "";
            int Int(string key, int fallback) => Opt(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new Settings(Key("USER"), Key("PASSWORD"), Key("REGION"), Key("IMAGE_ID"), Key("SIZE_ID"), Key("KEY_NAME"),
                Key("SECURITY_GROUP_NAME"), Opt("ENDPOINT"), Opt("SUBNET_ID"), Opt("SPOT_MAX_PRICE"), Int("MAX_CONCURRENT_CALLS", 8));
        }
    }

    // Tags: Name is what the EC2 console shows; the others say whose the instance is.
    private const string NameTag = "Name", DeploymentTag = "conpaas:deployment", VmIdTag = "conpaas:vm-id",
        ServiceTag = "conpaas:service", RoleTag = "conpaas:role";

    private static readonly List<string> LiveStates = ["pending", "running", "stopping", "stopped"];

    private readonly Settings _settings;
    private readonly AmazonEC2Client _ec2;
    private readonly IHttpClientFactory _http;
    private readonly ILogger<Ec2Driver> _log;
    private readonly SemaphoreSlim _calls;
    private readonly SemaphoreSlim _groupGate = new(1, 1);
    private string? _groupId;

    public Ec2Driver(Settings settings, IHttpClientFactory http, ILogger<Ec2Driver> log)
    {
        _settings = settings;
        _http = http;
        _log = log;
        _calls = new SemaphoreSlim(settings.MaxConcurrentCalls, settings.MaxConcurrentCalls);
        var config = new AmazonEC2Config
        {
            // Standard mode: exponential backoff with jitter on throttling (RequestLimitExceeded) and 5xx answers.
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 4,
            Timeout = TimeSpan.FromSeconds(20),
        };
        if (settings.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
        }

        _ec2 = new AmazonEC2Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public async Task<CloudVm> Create(VmSpec spec, CancellationToken ct)
    {
        var groupId = await SecurityGroup(ct);
        var request = new RunInstancesRequest
        {
            ClientToken = spec.VmId.ToString(),
            ImageId = _settings.ImageId,
            InstanceType = InstanceType.FindValue(_settings.InstanceType),
            KeyName = _settings.KeyName,
            MinCount = 1,
            MaxCount = 1,
            SecurityGroupIds = [groupId],
            SubnetId = _settings.SubnetId,
            UserData = spec.UserData is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(spec.UserData)),
            TagSpecifications =
            [
                new TagSpecification
                {
                    ResourceType = ResourceType.Instance,
                    Tags =
                    [
                        new Tag(NameTag, spec.Name), new Tag(DeploymentTag, Deployment(spec.Name)), new Tag(VmIdTag, spec.VmId.ToString()),
                        new Tag(ServiceTag, Service(spec.Name)), new Tag(RoleTag, spec.Boot.ServiceRole ?? spec.Role.ToString()),
                    ],
                },
            ],
        };
        if (_settings.SpotMaxPrice is { } price)
            request.InstanceMarketOptions = new InstanceMarketOptionsRequest
            {
                MarketType = MarketType.Spot,
                SpotOptions = new SpotMarketOptions { MaxPrice = price, SpotInstanceType = SpotInstanceType.OneTime },
            };

        RunInstancesResponse response;
        try
        {
            response = await Call("RunInstances", c => _ec2.RunInstancesAsync(request, c), ct);
        }
        catch (CloudDriverException ex) when (ex.InnerException is AmazonEC2Exception { ErrorCode: "IdempotentParameterMismatch" })
        {
            // An earlier attempt with this token made the instance, with other parameters (a new certificate in the user
            // data, a changed SIZE_ID): that instance is the VM.
            if (await Describe(spec.Name, ct) is { } earlier) return earlier;
            throw;
        }

        var instance = response.Reservation?.Instances?.FirstOrDefault()
                       ?? throw new CloudDriverException($"EC2 answered RunInstances for {spec.Name} without an instance", transient: true);
        _log.LogInformation("EC2 instance {Instance} for {Name}", instance.InstanceId, spec.Name);
        return ToVm(instance) ?? new CloudVm(spec.Name, instance.InstanceId, null, CloudVmStatus.Pending);
    }

    public async Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) =>
        (await Instances(new Ec2Filter("tag:" + NameTag, [namePrefix + "*"]), ct))
        .Select(ToVm).OfType<CloudVm>().Where(v => v.Name.StartsWith(namePrefix, StringComparison.Ordinal)).ToList();

    public async Task<CloudVm?> Describe(string name, CancellationToken ct) =>
        (await Instances(new Ec2Filter("tag:" + NameTag, [name]), ct)).Select(ToVm).OfType<CloudVm>().FirstOrDefault(v => v.Name == name);

    public async Task Terminate(string name, CancellationToken ct)
    {
        var ids = (await Instances(new Ec2Filter("tag:" + NameTag, [name]), ct)).Select(i => i.InstanceId).ToList();
        if (ids.Count == 0) return;
        try
        {
            await Call("TerminateInstances", c => _ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = ids }, c), ct);
        }
        catch (CloudDriverException ex) when (ex.InnerException is AmazonEC2Exception { ErrorCode: "InvalidInstanceID.NotFound" })
        {
            // Gone between the describe and the terminate: what was asked for.
        }
    }

    public Task<bool> IsReady(CloudVm vm, CancellationToken ct) => AgentHealth.Answers(_http, vm.Address, ct);

    public async Task<IReadOnlyList<string>> Problems(CancellationToken ct)
    {
        try
        {
            var images = await Call("DescribeImages", c => _ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [_settings.ImageId] }, c), ct);
            return images.Images is { Count: > 0 } ? [] : [$"The image {_settings.ImageId} does not exist in {_settings.Region}"];
        }
        catch (CloudDriverException ex)
        {
            return [ex.Message];
        }
    }

    public void Dispose()
    {
        _ec2.Dispose();
        _calls.Dispose();
        _groupGate.Dispose();
    }

    /// <summary>The id of SECURITY_GROUP_NAME, created with the services' ports (open to anywhere) when it does not exist.</summary>
    private async Task<string> SecurityGroup(CancellationToken ct)
    {
        if (_groupId is { } known) return known;
        await _groupGate.WaitAsync(ct);
        try
        {
            if (_groupId is { } found) return found;
            var groups = await Call("DescribeSecurityGroups", c => _ec2.DescribeSecurityGroupsAsync(
                new DescribeSecurityGroupsRequest { Filters = [new Ec2Filter("group-name", [_settings.SecurityGroup])] }, c), ct);
            if (groups.SecurityGroups?.FirstOrDefault() is { } group) return _groupId = group.GroupId;

            var created = await Call("CreateSecurityGroup", c => _ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
            {
                GroupName = _settings.SecurityGroup,
                Description = "ConPaaS services (made by the Director)",
            }, c), ct);
            // One group serves every service of this cloud: it opens the ports of every service type (the guide's list).
            var ports = ServiceTypes.All.SelectMany(t => t.Ports).Append(UserData.AgentPort).Distinct().Order();
            await Call("AuthorizeSecurityGroupIngress", c => _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
            {
                GroupId = created.GroupId,
                IpPermissions = ports.Select(p => new IpPermission
                {
                    IpProtocol = "tcp", FromPort = p, ToPort = p, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0" }],
                }).ToList(),
            }, c), ct);
            _log.LogInformation("EC2 security group {Group} ({Id}) created", _settings.SecurityGroup, created.GroupId);
            return _groupId = created.GroupId;
        }
        finally
        {
            _groupGate.Release();
        }
    }

    /// <summary>The instances that match, in every state but shutting-down and terminated (those are gone for us).</summary>
    private async Task<List<Instance>> Instances(Ec2Filter filter, CancellationToken ct)
    {
        var instances = new List<Instance>();
        string? next = null;
        do
        {
            var request = new DescribeInstancesRequest { Filters = [filter, new Ec2Filter("instance-state-name", LiveStates)], NextToken = next };
            var page = await Call("DescribeInstances", c => _ec2.DescribeInstancesAsync(request, c), ct);
            instances.AddRange((page.Reservations ?? []).SelectMany(r => r.Instances ?? []));
            next = page.NextToken;
        } while (!string.IsNullOrEmpty(next));

        return instances;
    }

    private CloudVm? ToVm(Instance instance)
    {
        var name = instance.Tags?.FirstOrDefault(t => t.Key == NameTag)?.Value;
        var state = instance.State?.Name?.Value;
        if (name is null || state is null || !LiveStates.Contains(state)) return null;
        var ip = instance.PublicIpAddress ?? instance.PrivateIpAddress;
        return new CloudVm(name, instance.InstanceId, ip is null ? null : $"{ip}:{UserData.AgentPort}",
            state == "running" ? CloudVmStatus.Running : CloudVmStatus.Pending);
    }

    /// <summary>One API call, at most MAX_CONCURRENT_CALLS at once per cloud, its failures in the port's terms.</summary>
    private async Task<T> Call<T>(string action, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        await _calls.WaitAsync(ct);
        try
        {
            return await call(ct);
        }
        catch (AmazonEC2Exception ex)
        {
            throw new CloudDriverException($"EC2 {action}: {Describe(ex)}", Transient(ex), ex);
        }
        catch (AmazonServiceException ex) when (!ct.IsCancellationRequested)
        {
            // No answer at all (refused connection, timeout): the endpoint is unreachable for now.
            throw new CloudDriverException($"EC2 {action}: the endpoint did not answer ({ex.InnerException?.Message ?? ex.Message})", transient: true, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            throw new CloudDriverException($"EC2 {action}: the endpoint did not answer ({ex.Message})", transient: true, ex);
        }
        finally
        {
            _calls.Release();
        }
    }

    private static string Describe(AmazonEC2Exception ex) => ex.ErrorCode switch
    {
        "AuthFailure" or "InvalidClientTokenId" or "SignatureDoesNotMatch" or "UnauthorizedOperation" =>
            $"the credentials were refused ({ex.ErrorCode}: {ex.Message})",
        "InvalidAMIID.NotFound" or "InvalidAMIID.Malformed" => $"the image does not exist ({ex.ErrorCode}: {ex.Message})",
        _ => $"{ex.ErrorCode}: {ex.Message}",
    };

    private static bool Transient(AmazonEC2Exception ex) =>
        ex.ErrorCode is "RequestLimitExceeded" or "Throttling" or "InsufficientInstanceCapacity" or "InternalError" or "Unavailable"
            or "ServiceUnavailable" or "InsufficientFreeAddressesInSubnet"
        || (int)ex.StatusCode >= 500 || ex.StatusCode == HttpStatusCode.TooManyRequests;

    /// <summary>The deployment is what precedes the owner and application parts (VmNaming: conpaas-u…-a…-s2-php-3 → conpaas).</summary>
    private static string Deployment(string name) =>
        System.Text.RegularExpressions.Regex.Match(name, "^(.+?)-u[0-9a-f]{8}-a[0-9a-f]{8}-s[0-9]+-") is { Success: true } m ? m.Groups[1].Value : name.Split('-')[0];

    /// <summary>The service is the name without its number (conpaas-u…-a…-s2-php-3 → conpaas-u…-a…-s2-php).</summary>
    private static string Service(string name) => name.LastIndexOf('-') is var dash and > 0 ? name[..dash] : name;
}
