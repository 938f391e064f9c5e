using Microsoft.Extensions.Options;

namespace Conpaas.Api.Transport;

public static class SubscriptionTransports
{
    /// <summary>The WebSocket and SSE transports of /graphql, their settings ("Subscriptions") and the per-user cap.</summary>
    public static IServiceCollection AddSubscriptionTransports(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<SubscriptionOptions>, SubscriptionOptionsValidator>();
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section).ValidateOnStart();
        services.AddSingleton<SubscriptionLimiter>();
        services.AddSingleton<WebSocketTransport>();
        services.AddSingleton<SseTransport>();
        return services;
    }
}
