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

    /// <summary>A cloud VMs may be requested on (null means default), or the refusal: blank, unknown, or misconfigured.</summary>
    public DomainError? Check(string? name, out string resolved)
    {
        if (CheckKnown(name, out resolved) is { } unknown) return unknown;
        var known = resolved;
        var cloud = Clouds.First(c => c.Name == known);
        return cloud.IsHealthy
            ? null
            : DomainError.Invalid("cloud", $"Cloud '{known}' is misconfigured: {string.Join("; ", cloud.Problems)}");
    }

    /// <summary>A configured cloud, healthy or not (null means default): releasing nodes needs no working cloud.</summary>
    public DomainError? CheckKnown(string? name, out string resolved)
    {
        resolved = name is null ? Default : name.Trim();
        // A blank name is a mistake, not a request for the default cloud (that is leaving the argument out).
        if (resolved.Length == 0) return DomainError.Invalid("cloud", "'cloud' must not be blank: leave it out for the default cloud");
        var wanted = resolved;
        if (Clouds.Any(c => c.Name == wanted)) return null;

        var available = Clouds.Select(c => c.Name).ToArray();
        return new DomainError(ErrorCode.UNKNOWN_CLOUD,
            $"Unknown cloud: {Text.Quote(wanted)}. Available clouds: [{string.Join(", ", available)}]", "cloud")
        {
            Extensions = new Dictionary<string, object?> { ["available"] = available },
        };
    }
}
