using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Conpaas.CloudAgents.Boot;

namespace Conpaas.CloudAgents.Drivers.OpenStack;

/// <summary>
/// The openstack cloud: a VM is a Nova server named after the VM and marked with its id in the server's metadata
/// (Compute API v2.1, "Servers"). Nova allows several servers of one name, so a create first looks the name up, and
/// looks again when its answer was lost.
/// </summary>
public sealed class OpenStackDriver(OpenStackSettings settings, string cloud, IHttpClientFactory http, TimeProvider clock) : ICloudDriver
{
    /// <summary>Nova takes at most 65535 bytes of base64-encoded user data.</summary>
    public const int MaxUserData = 65535;

    private const string VmIdKey = "conpaas-vm-id";
    private readonly OpenStackClient _nova = new(settings, cloud, http, clock);
    private string? _flavorId;
    private string? _imageId;

    public async Task<CloudVm> Create(VmSpec spec, CancellationToken ct)
    {
        var userData = spec.UserData is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(spec.UserData));
        if (userData?.Length > MaxUserData)
            throw new CloudDriverException($"The user data of {spec.Name} is {userData.Length} bytes in base64; OpenStack takes at most {MaxUserData}", transient: false);
        if (await Find(spec.Name, ct) is { } existing) return Vm(existing, failIfBroken: true);

        var server = new JsonObject
        {
            ["name"] = spec.Name,
            ["imageRef"] = await ImageId(ct),
            ["flavorRef"] = await FlavorId(ct),
            ["metadata"] = Metadata(spec),
        };
        if (settings.KeyName is not null) server["key_name"] = settings.KeyName;
        if (settings.SecurityGroup is not null) server["security_groups"] = new JsonArray(new JsonObject { ["name"] = settings.SecurityGroup });
        if (settings.NetworkId is not null) server["networks"] = new JsonArray(new JsonObject { ["uuid"] = settings.NetworkId });
        if (userData is not null) server["user_data"] = userData;

        try
        {
            var created = await _nova.Compute(HttpMethod.Post, "/servers", new JsonObject { ["server"] = server }, ct);
            var id = created?["server"]?["id"]?.GetValue<string>()
                     ?? throw new CloudDriverException($"OpenStack cloud '{cloud}' accepted {spec.Name} without naming its id", transient: true);
            return new CloudVm(spec.Name, id, null, CloudVmStatus.Pending);
        }
        catch (CloudDriverException ex) when (ex.Transient && !ct.IsCancellationRequested)
        {
            // The answer may have been lost after Nova made the server: find it rather than make a second one next time.
            if (await Find(spec.Name, ct) is { } made) return Vm(made, failIfBroken: true);
            throw;
        }
    }

    public async Task<IReadOnlyList<CloudVm>> List(string namePrefix, CancellationToken ct) =>
        (await Servers("^" + Regex.Escape(namePrefix), ct))
        .Where(s => Name(s).StartsWith(namePrefix, StringComparison.Ordinal))
        .Select(s => Vm(s, failIfBroken: false)).ToList();

    public async Task<CloudVm?> Describe(string name, CancellationToken ct) =>
        await Find(name, ct) is { } server ? Vm(server, failIfBroken: false) : null;

    public async Task Terminate(string name, CancellationToken ct)
    {
        // Every server of the name: a duplicate made behind our back must not outlive the VM.
        foreach (var server in await Servers(Exactly(name), ct))
            if (Name(server) == name)
                await _nova.Compute(HttpMethod.Delete, $"/servers/{Uri.EscapeDataString(Id(server))}", null, ct);
    }

    public async Task<bool> IsReady(CloudVm vm, CancellationToken ct)
    {
        var server = string.IsNullOrEmpty(vm.ProviderId)
            ? await Find(vm.Name, ct)
            : (await _nova.Compute(HttpMethod.Get, $"/servers/{Uri.EscapeDataString(vm.ProviderId)}", null, ct))?["server"];
        if (server is null) return false;
        var described = Vm(server, failIfBroken: true);
        return described is { Status: CloudVmStatus.Running, Address: { } address } && await AgentHealth.Answers(http, address, ct);
    }

    /// <summary>Live: can the driver authenticate, and do the image and the flavor exist?</summary>
    public async Task<IReadOnlyList<string>> Problems(CancellationToken ct)
    {
        if (settings.Problems(cloud) is { Count: > 0 } problems) return problems;
        try
        {
            await FlavorId(ct);
            await ImageId(ct);
            return [];
        }
        catch (CloudDriverException ex)
        {
            return [ex.Message];
        }
    }

    private async Task<JsonNode?> Find(string name, CancellationToken ct) =>
        (await Servers(Exactly(name), ct)).FirstOrDefault(s => Name(s) == name);

    /// <summary>GET /servers/detail?name=… (a regular expression in Nova), following the pages; only servers this
    /// Director made (they carry the VM id) and not being deleted.</summary>
    private async Task<List<JsonNode>> Servers(string nameRegex, CancellationToken ct)
    {
        var servers = new List<JsonNode>();
        var path = "/servers/detail?name=" + Uri.EscapeDataString(nameRegex);
        while (path is not null)
        {
            var page = await _nova.Compute(HttpMethod.Get, path, null, ct);
            servers.AddRange((page?["servers"]?.AsArray() ?? []).OfType<JsonNode>()
                .Where(s => s["metadata"]?[VmIdKey] is not null && Status(s) is not ("DELETED" or "SOFT_DELETED")));
            var next = page?["servers_links"]?.AsArray().FirstOrDefault(l => l?["rel"]?.GetValue<string>() == "next")?["href"]?.GetValue<string>();
            path = next is null ? null : "/servers/detail" + new Uri(next).Query;
        }

        return servers;
    }

    private CloudVm Vm(JsonNode server, bool failIfBroken)
    {
        if (failIfBroken && Status(server) == "ERROR")
            throw new CloudDriverException($"OpenStack server {Name(server)} is in ERROR: {server["fault"]?["message"]?.GetValue<string>() ?? "no fault given"}", transient: false);
        var address = Address(server);
        return new CloudVm(Name(server), Id(server), address is null ? null : $"{address}:{settings.AgentPort}",
            Status(server) == "ACTIVE" ? CloudVmStatus.Running : CloudVmStatus.Pending);
    }

    /// <summary>The address the Director reaches the agent on: accessIPv4, else a floating address, else a fixed one.</summary>
    private static string? Address(JsonNode server)
    {
        if (server["accessIPv4"]?.GetValue<string>() is { Length: > 0 } access) return access;
        var addresses = (server["addresses"] as JsonObject)?.SelectMany(n => n.Value?.AsArray() ?? []).OfType<JsonNode>()
            .Where(a => a["version"]?.GetValue<int>() == 4).ToList() ?? [];
        return (addresses.FirstOrDefault(a => a["OS-EXT-IPS:type"]?.GetValue<string>() == "floating") ?? addresses.FirstOrDefault())
            ?["addr"]?.GetValue<string>();
    }

    /// <summary>Compute API v2.1, "Flavors": SIZE_ID is a flavor's id or name.</summary>
    private async Task<string> FlavorId(CancellationToken ct)
    {
        if (_flavorId is not null) return _flavorId;
        var flavors = (await _nova.Compute(HttpMethod.Get, "/flavors", null, ct))?["flavors"]?.AsArray().OfType<JsonNode>().ToList() ?? [];
        var flavor = flavors.FirstOrDefault(f => f["id"]?.ToString() == settings.Flavor) ?? flavors.FirstOrDefault(f => f["name"]?.GetValue<string>() == settings.Flavor)
                     // ConPaaS wording.
                     ?? throw new CloudDriverException($"Requested size not found. '{settings.Flavor}' not in [{string.Join(", ", flavors.Select(f => f["name"]))}]", transient: false);
        return _flavorId = flavor["id"]!.ToString();
    }

    /// <summary>IMAGE_ID is an image's id or its name (Compute API v2.1, "Images": GET /images?name=…).</summary>
    private async Task<string> ImageId(CancellationToken ct)
    {
        if (_imageId is not null) return _imageId;
        if (Guid.TryParse(settings.Image, out _))
        {
            if (await _nova.Compute(HttpMethod.Get, $"/images/{settings.Image}", null, ct) is null)
                throw new CloudDriverException($"OpenStack cloud '{cloud}' has no image {settings.Image}", transient: false);
            return _imageId = settings.Image;
        }

        var images = (await _nova.Compute(HttpMethod.Get, "/images?name=" + Uri.EscapeDataString(settings.Image), null, ct))?["images"]?.AsArray().OfType<JsonNode>().ToList() ?? [];
        return _imageId = images switch
        {
            [var image] => image["id"]!.GetValue<string>(),
            [] => throw new CloudDriverException($"OpenStack cloud '{cloud}' has no image named '{settings.Image}'", transient: false),
            _ => throw new CloudDriverException($"OpenStack cloud '{cloud}' has {images.Count} images named '{settings.Image}': give IMAGE_ID as an id", transient: false),
        };
    }

    private static JsonObject Metadata(VmSpec spec)
    {
        var metadata = new JsonObject { [VmIdKey] = spec.VmId.ToString(), ["conpaas-role"] = spec.Role.ToString(), ["conpaas-service-type"] = spec.ServiceType };
        // VM names begin with the Director's deployment name (VmNaming): DEPLOYMENT-u<owner>-a<app>-…
        if (Regex.Match(spec.Name, "^(.+?)-u[0-9a-f]{8}-a[0-9a-f]{8}-") is { Success: true } m) metadata["conpaas-deployment"] = m.Groups[1].Value;
        return metadata;
    }

    private static string Exactly(string name) => "^" + Regex.Escape(name) + "$";

    private static string Name(JsonNode server) => server["name"]?.GetValue<string>() ?? "";

    private static string Id(JsonNode server) => server["id"]?.GetValue<string>() ?? "";

    private static string Status(JsonNode server) => server["status"]?.GetValue<string>() ?? "";
}
