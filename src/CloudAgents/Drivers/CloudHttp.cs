using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Conpaas.CloudAgents.Drivers;

/// <summary>The HTTP client the real clouds' APIs are called with: the standard resilience handler (timeouts, retries of
/// transient answers honouring Retry-After, a circuit breaker per cloud endpoint).</summary>
public static class CloudHttp
{
    public const string Name = "clouds";

    public static IServiceCollection AddCloudHttp(this IServiceCollection services)
    {
        services.AddHttpClient(Name)
            // Only safe calls are retried here: a create whose answer was lost may have made a VM, and the drivers find it
            // by name before trying again.
            .AddStandardResilienceHandler(o => o.Retry.DisableForUnsafeHttpMethods())
            .SelectPipelineByAuthority();
        return services;
    }
}
