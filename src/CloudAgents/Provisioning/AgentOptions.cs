using Microsoft.Extensions.Options;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>Settings under "Agents": how the Director watches VMs come and go.</summary>
public sealed class AgentOptions
{
    public const string Section = "Agents";

    /// <summary>ConPaaS polled a booting VM every 5 s for up to 300 s.</summary>
    public TimeSpan ReadinessPollInterval { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(300);
    /// <summary>How often each cloud's inventory is compared with the event log.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a VM the log does not know may live before reconciliation terminates it.</summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>An intent with no progress for this long is handed to its handler again (after a crash, say).</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan DriverCallTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Off: intents are recorded but no cloud is ever called (maintenance, or tests that play the cloud themselves).</summary>
    public bool Enabled { get; set; } = true;
}

public sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions o)
    {
        var problems = new List<string>();
        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero) problems.Add($"{AgentOptions.Section}:{key} {value} must be positive");
        }

        Positive(o.ReadinessPollInterval, nameof(o.ReadinessPollInterval));
        Positive(o.ReadinessTimeout, nameof(o.ReadinessTimeout));
        Positive(o.ReconcileInterval, nameof(o.ReconcileInterval));
        Positive(o.OrphanGracePeriod, nameof(o.OrphanGracePeriod));
        Positive(o.StalledAfter, nameof(o.StalledAfter));
        Positive(o.DriverCallTimeout, nameof(o.DriverCallTimeout));
        if (o.DriverCallTimeout > TimeSpan.FromMinutes(4))
            problems.Add($"{AgentOptions.Section}:DriverCallTimeout {o.DriverCallTimeout} must be at most 00:04:00 (handlers run for at most 5 minutes)");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
