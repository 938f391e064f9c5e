namespace Conpaas.Domain.Catalogue;

public sealed record ServiceRole(string Name, bool IsDefault, int InitialCount);

public sealed record ServiceType(string Name, string Description, IReadOnlyList<ServiceRole> Roles, IReadOnlyList<int> Ports)
{
    public ServiceRole DefaultRole => Roles.Single(r => r.IsDefault);

    public ServiceRole? Role(string? name) => name is null ? DefaultRole : Roles.FirstOrDefault(r => r.Name == name);

    /// <summary>The agents a start requests, besides the manager.</summary>
    public IReadOnlyDictionary<string, int> InitialCounts => Roles.ToDictionary(r => r.Name, r => r.InitialCount);
}

/// <summary>
/// The ConPaaS 2.0 service types (conpaas-services core/services.py) as data: adding a type is adding an entry.
/// Ports are the ones the installation guide opens for each service; every VM also answers on 443 (manager)
/// and 5555 (agent).
/// </summary>
public static class ServiceTypes
{
    private static readonly int[] WebPorts = [80, 443, 5555, 8000, 8080, 9000];

    public static readonly IReadOnlyList<ServiceType> All =
    [
        new("php", "PHP web hosting: proxy, web servers and PHP backends",
            [new("backend", true, 1), new("web", false, 0), new("proxy", false, 0)], WebPorts),
        new("java", "Java servlet web hosting: proxy, web servers and Tomcat backends",
            [new("backend", true, 1), new("web", false, 0), new("proxy", false, 0)], WebPorts),
        new("mysql", "MySQL database with Galera replication and a load balancer",
            [new("mysql", true, 1), new("glb", false, 0)], [443, 5555, 3306, 4444, 4567, 4568]),
        new("xtreemfs", "XtreemFS distributed file system",
            [new("osd", true, 1)], [443, 5555, 32636, 32638, 32640]),
        new("generic", "Generic service: run your own scripts on a master and worker nodes",
            [new("master", false, 1), new("node", true, 0)], [443, 5555]),
        new("helloworld", "Hello world: each node answers 'Hello World' over HTTP",
            [new("node", true, 1)], [443, 5555]),
    ];

    public static ServiceType? Find(string? name) => All.FirstOrDefault(t => t.Name == name);

    public static DomainError Unknown(string? name) =>
        new(ErrorCode.UNKNOWN_SERVICE_TYPE, $"Unknown service type '{Text.Quote(name)}'. Available types: [{string.Join(", ", All.Select(t => t.Name))}]", "type")
        {
            Extensions = new Dictionary<string, object?> { ["available"] = All.Select(t => t.Name).ToArray() },
        };
}
