namespace Conpaas.Domain.Users;

public static class Sessions
{
    /// <summary>Five failed logins for one name within the window lock it; the same rule for names that do not exist.</summary>
    public static DateTimeOffset? LockedUntil(IReadOnlyCollection<DateTimeOffset> recentFailures, LoginThrottlePolicy policy, DateTimeOffset now)
    {
        var inWindow = recentFailures.Where(t => t > now - policy.Window).OrderDescending().ToList();
        if (inWindow.Count < policy.MaxFailures) return null;
        var until = inWindow[policy.MaxFailures - 1] + policy.Window;
        return until > now ? until : null;
    }

    public static DomainError RateLimited(DateTimeOffset until, DateTimeOffset now) =>
        new(ErrorCode.RATE_LIMITED,
            $"Too many failed logins; try again in {Math.Max(1, (int)Math.Ceiling((until - now).TotalMinutes))} minute(s)")
        {
            Extensions = new Dictionary<string, object?> { ["retryAfterSeconds"] = (int)Math.Ceiling((until - now).TotalSeconds) },
        };

    public static readonly DomainError BadCredentials = DomainError.Unauthenticated("User authentication failed");
}

public sealed record LoginThrottlePolicy(int MaxFailures, TimeSpan Window)
{
    public static readonly LoginThrottlePolicy Default = new(5, TimeSpan.FromMinutes(15));
}
