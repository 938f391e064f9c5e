using GraphQL;
using Microsoft.Extensions.DependencyInjection;

namespace Conpaas.Api.GraphQL;

public static class ResolveExtensions
{
    /// <summary>A service of the request's scope (the HTTP request, or one subscription event).</summary>
    public static T Get<T>(this IResolveFieldContext context) where T : notnull =>
        context.RequestServices!.GetRequiredService<T>();
}
