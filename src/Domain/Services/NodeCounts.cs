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
        // Every entry asks for at least one node: a longer list is over the limit whatever it holds.
        if (nodes.Count > ServiceRules.MaxNodesPerRequest)
            return DomainError.Invalid("nodes", $"Too many entries: {nodes.Count}, at most {ServiceRules.MaxNodesPerRequest} per request");

        var type = ServiceContext.TypeOf(service);
        var roles = new List<string>(nodes.Count);
        long total = 0; // a sum of ints may pass int.MaxValue (2147483647 + 1 once wrapped to a negative count)
        foreach (var n in nodes)
        {
            if (n.Count <= 0) return DomainError.Invalid("count", $"Invalid number of nodes {n.Count}");
            total += n.Count;
            // Leaving role or cloud out means the default; a blank one is a mistake, not a request for the default.
            if (n.Role is not null && string.IsNullOrWhiteSpace(n.Role))
                return DomainError.Invalid("role", "'role' must not be blank: leave it out for the service type's default role");
            if (n.Cloud is not null && string.IsNullOrWhiteSpace(n.Cloud))
                return DomainError.Invalid("cloud", "'cloud' must not be blank: leave it out for the service's cloud");
            var role = type.Role(n.Role?.Trim());
            if (role is null) return DomainError.Invalid("role", $"Wrong node type '{Text.Quote(n.Role)}' for service type '{type.Name}'.");
            roles.Add(role.Name);
        }

        if (total > ServiceRules.MaxNodesPerRequest)
            return DomainError.Invalid("count", $"Invalid number of nodes {total}: at most {ServiceRules.MaxNodesPerRequest} per request");

        // The total is small now: the sums per (role, cloud) cannot overflow.
        for (var i = 0; i < nodes.Count; i++)
        {
            var (role, cloud, count) = (roles[i], nodes[i].Cloud?.Trim(), nodes[i].Count);
            var index = wanted.FindIndex(w => w.Role == role && w.Cloud == cloud);
            if (index >= 0) wanted[index] = wanted[index] with { Count = wanted[index].Count + count };
            else wanted.Add((role, cloud, count));
        }

        return null;
    }
}
