namespace Conpaas.Domain.Clouds;

/// <summary>A configured cloud as the decisions see it: its name and what is wrong with its configuration.</summary>
public sealed record CloudInfo(string Name, string Driver, bool IsDefault, IReadOnlyList<string> Problems)
{
    public bool IsHealthy => Problems.Count == 0;
}

/// <summary>The clouds VMs may be requested on ("default" always exists).</summary>
public sealed record CloudDirectory(IReadOnlyList<CloudInfo> Clouds)
{
    public const string Default = "default";

    /// <summary>The cloud by name (null means default), or the refusal: unknown, or misconfigured.</summary>
    public DomainError? Check(string? name, out string resolved)
    {
        resolved = string.IsNullOrWhiteSpace(name) ? Default : name.Trim();
        var wanted = resolved;
        var cloud = Clouds.FirstOrDefault(c => c.Name == wanted);
        if (cloud is null)
        {
            var available = Clouds.Select(c => c.Name).ToArray();
            return new DomainError(ErrorCode.UNKNOWN_CLOUD,
                $"Unknown cloud: {wanted}. Available clouds: [{string.Join(", ", available)}]", "cloud")
            {
                Extensions = new Dictionary<string, object?> { ["available"] = available },
            };
        }

        return cloud.IsHealthy
            ? null
            : DomainError.Invalid("cloud", $"Cloud '{wanted}' is misconfigured: {string.Join("; ", cloud.Problems)}");
    }
}
