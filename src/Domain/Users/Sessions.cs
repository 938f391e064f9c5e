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
        TryLater($"Too many failed logins; try again in {Math.Max(1, (int)Math.Ceiling((until - now).TotalMinutes))} minute(s)", until - now);

    /// <summary>Every password-hashing slot and its queue are taken: nothing was checked, the attempt does not count.</summary>
    public static readonly DomainError Busy = TryLater("Too many sign-ins are being checked right now; try again in a second", TimeSpan.FromSeconds(1));

    /// <summary>One client address made more anonymous register/login operations than a minute allows.</summary>
    public static DomainError TooManySignIns(TimeSpan retryAfter) =>
        TryLater($"Too many sign-ins and registrations from your address; try again in {Seconds(retryAfter)} second(s)", retryAfter);

    public static readonly DomainError BadCredentials = DomainError.Unauthenticated("User authentication failed");

    private static DomainError TryLater(string message, TimeSpan retryAfter) =>
        new(ErrorCode.RATE_LIMITED, message)
        {
            Extensions = new Dictionary<string, object?> { ["retryAfterSeconds"] = Seconds(retryAfter) },
        };

    private static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));
}

public sealed record LoginThrottlePolicy(int MaxFailures, TimeSpan Window)
{
    public static readonly LoginThrottlePolicy Default = new(5, TimeSpan.FromMinutes(15));
}
