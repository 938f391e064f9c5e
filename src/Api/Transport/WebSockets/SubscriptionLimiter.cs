using System.Net;
using Conpaas.Api.GraphQL;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using GraphQL;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Transport;

/// <summary>
/// Counts the live subscriptions of each user on this node, over WebSocket and SSE together, and refuses one over
/// <see cref="SubscriptionOptions.MaxSubscriptionsPerUser"/>. Anonymous callers are counted per remote address.
/// </summary>
public sealed class SubscriptionLimiter(IOptions<SubscriptionOptions> options)
{
    private readonly Dictionary<string, int> _active = new(StringComparer.Ordinal);

    public int Limit => options.Value.MaxSubscriptionsPerUser;

    public static string KeyFor(User? user, IPAddress? remote) =>
        user is not null ? "user:" + user.Id.ToString("N") : "anonymous:" + (remote?.ToString() ?? "unknown");

    /// <summary>Takes one place for the key; false when it already holds <see cref="Limit"/>.</summary>
    public bool TryAcquire(string key)
    {
        lock (_active)
        {
            _active.TryGetValue(key, out var count);
            if (count >= Limit) return false;
            _active[key] = count + 1;
            return true;
        }
    }

    public void Release(string key)
    {
        lock (_active)
        {
            if (!_active.TryGetValue(key, out var count)) return;
            if (count <= 1) _active.Remove(key);
            else _active[key] = count - 1;
        }
    }

    /// <summary>Subscriptions the key holds now.</summary>
    public int Active(string key)
    {
        lock (_active) return _active.GetValueOrDefault(key);
    }

    /// <summary>Subscriptions held by everyone on this node.</summary>
    public int Total
    {
        get { lock (_active) return _active.Values.Sum(); }
    }

    public ExecutionError TooMany() =>
        new DirectorError(new DomainError(ErrorCode.RATE_LIMITED, $"Too many subscriptions: at most {Limit} at once"));
}
