using System.Threading.RateLimiting;
using Conpaas.Api.Hosting;
using Conpaas.Domain.Users;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

/// <summary>
/// Register and login operations without a token, counted per client address and minute. Each operation counts, not
/// each HTTP request: one request may carry dozens of aliased registers.
/// </summary>
public sealed class AnonymousSignIns(IOptions<DirectorOptions> options, IHttpContextAccessor http) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perAddress = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.AnonymousSignInsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>Counts one operation of an anonymous caller; RATE_LIMITED (with the seconds to wait) over the limit.</summary>
    public void Count(Caller caller)
    {
        if (caller.IsSignedIn) return;
        using var lease = _perAddress.AttemptAcquire(http.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired) return;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        throw Sessions.TooManySignIns(retryAfter).ToException();
    }

    public void Dispose() => _perAddress.Dispose();
}
