using Microsoft.Extensions.Options;

namespace Conpaas.Api.Transport;

/// <summary>
/// Settings of the streaming transports (graphql-transport-ws and graphql-sse) under "Subscriptions"
/// (environment: Subscriptions__KeepAliveInterval, …). Validated at start-up.
/// </summary>
public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>A WebSocket that has not sent connection_init by then is closed with 4408.</summary>
    public TimeSpan ConnectionInitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the server pings: a graphql-transport-ws "ping" message (a socket that sent nothing at all, pong or
    /// otherwise, during one whole interval after a ping is closed with 4408), and an SSE comment line.
    /// Zero switches both off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>Messages waiting to be sent to one client; a client that lets more pile up is disconnected as too slow.</summary>
    public int MaxQueuedMessages { get; set; } = 1000;

    /// <summary>Subscriptions one user may hold at once on this node, WebSocket and SSE together.</summary>
    public int MaxSubscriptionsPerUser { get; set; } = 50;
}

/// <summary>Every bad setting is reported with its full key, like the other option validators.</summary>
public sealed class SubscriptionOptionsValidator : IValidateOptions<SubscriptionOptions>
{
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, SubscriptionOptions o)
    {
        var problems = new List<string>();
        void Check(bool ok, string key, string what)
        {
            if (!ok) problems.Add($"{SubscriptionOptions.Section}:{key} {what}");
        }

        Check(o.ConnectionInitTimeout > TimeSpan.Zero && o.ConnectionInitTimeout <= Longest, "ConnectionInitTimeout",
            $"{o.ConnectionInitTimeout} must be positive and at most {Longest}");
        Check(o.KeepAliveInterval == TimeSpan.Zero || (o.KeepAliveInterval >= TimeSpan.FromMilliseconds(100) && o.KeepAliveInterval <= Longest),
            "KeepAliveInterval", $"{o.KeepAliveInterval} must be 0 (off) or between 00:00:00.1 and {Longest}");
        Check(o.MaxQueuedMessages is >= 1 and <= 1_000_000, "MaxQueuedMessages", $"{o.MaxQueuedMessages} must be between 1 and 1000000");
        Check(o.MaxSubscriptionsPerUser is >= 1 and <= 100_000, "MaxSubscriptionsPerUser",
            $"{o.MaxSubscriptionsPerUser} must be between 1 and 100000");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
