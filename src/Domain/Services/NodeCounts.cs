namespace Conpaas.Domain.Services;

/// <summary>One entry of addNodes/removeNodes: a role (null = the type's default), a count, a cloud (null = the service's).</summary>
public sealed record NodeCount(string? Role, int Count, string? Cloud);

internal static class NodeCounts
{
    /// <summary>Checks the list and sums it per (role, cloud); ConPaaS messages for bad counts and roles.</summary>
    public static DomainError? Validate(Service service, IReadOnlyList<NodeCount> nodes, out List<(string Role, string? Cloud, int Count)> wanted)
    {
        wanted = [];
        if (nodes.Count == 0) return DomainError.Invalid("nodes", "Need a positive value for at least one role");
        var type = ServiceContext.TypeOf(service);
        foreach (var n in nodes)
        {
            if (n.Count <= 0) return DomainError.Invalid("count", $"Invalid number of nodes {n.Count}");
            var role = type.Role(Text.Clean(n.Role));
            if (role is null) return DomainError.Invalid("role", $"Wrong node type '{n.Role}' for service type '{type.Name}'.");
            var cloud = Text.Clean(n.Cloud);
            var index = wanted.FindIndex(w => w.Role == role.Name && w.Cloud == cloud);
            if (index >= 0) wanted[index] = wanted[index] with { Count = wanted[index].Count + n.Count };
            else wanted.Add((role.Name, cloud, n.Count));
        }

        var total = wanted.Sum(w => (long)w.Count);
        return total > ServiceRules.MaxNodesPerRequest
            ? DomainError.Invalid("count", $"Invalid number of nodes {total}: at most {ServiceRules.MaxNodesPerRequest} per request")
            : null;
    }
}
