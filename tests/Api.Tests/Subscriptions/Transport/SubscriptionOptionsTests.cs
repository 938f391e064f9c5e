using Conpaas.Api.Transport;
using Microsoft.Extensions.Options;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>The "Subscriptions" settings and the per-user counter, without a host.</summary>
public sealed class SubscriptionOptionsTests
{
    [Fact]
    public void the_defaults_are_valid()
    {
        var o = new SubscriptionOptions();
        Assert.True(new SubscriptionOptionsValidator().Validate(null, o).Succeeded);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ConnectionInitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), o.KeepAliveInterval);
        Assert.Equal(1000, o.MaxQueuedMessages);
        Assert.Equal(50, o.MaxSubscriptionsPerUser);
        Assert.True(new SubscriptionOptionsValidator().Validate(null, new SubscriptionOptions { KeepAliveInterval = TimeSpan.Zero }).Succeeded);
    }

    public static TheoryData<SubscriptionOptions, string> BadSettings => new()
    {
        { new SubscriptionOptions { ConnectionInitTimeout = TimeSpan.Zero }, "Subscriptions:ConnectionInitTimeout" },
        { new SubscriptionOptions { ConnectionInitTimeout = TimeSpan.FromHours(1) }, "Subscriptions:ConnectionInitTimeout" },
        { new SubscriptionOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(-1) }, "Subscriptions:KeepAliveInterval" },
        { new SubscriptionOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(10) }, "Subscriptions:KeepAliveInterval" },
        { new SubscriptionOptions { MaxQueuedMessages = 0 }, "Subscriptions:MaxQueuedMessages" },
        { new SubscriptionOptions { MaxSubscriptionsPerUser = 0 }, "Subscriptions:MaxSubscriptionsPerUser" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void a_bad_setting_is_refused_naming_its_key(SubscriptionOptions options, string key)
    {
        var result = new SubscriptionOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage);
    }

    [Fact]
    public void the_limiter_counts_per_key_and_frees_places()
    {
        var limiter = new SubscriptionLimiter(Options.Create(new SubscriptionOptions { MaxSubscriptionsPerUser = 2 }));
        Assert.True(limiter.TryAcquire("a"));
        Assert.True(limiter.TryAcquire("a"));
        Assert.False(limiter.TryAcquire("a"));
        Assert.True(limiter.TryAcquire("b"));
        limiter.Release("a");
        Assert.True(limiter.TryAcquire("a"));
        Assert.Equal(2, limiter.Active("a"));
        Assert.Equal(3, limiter.Total);
        Assert.Equal("Too many subscriptions: at most 2 at once", limiter.TooMany().Message);
    }
}
