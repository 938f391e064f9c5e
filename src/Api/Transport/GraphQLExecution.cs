using GraphQL;
using GraphQL.Transport;
using GraphQL.Validation;

namespace Conpaas.Api.Transport;

/// <summary>
/// The one execution set-up of HTTP, WebSocket and SSE requests: the same validation rules for all three. The request
/// limits, the deadline and the document cache apply to every execution (<see cref="GraphQL.DocumentCache"/>), the
/// complexity analyzer too (registered with the schema).
/// </summary>
public static class GraphQLExecution
{
    /// <summary>The validation rules of every request; a transport may add its own (the HTTP method rules).</summary>
    public static readonly IReadOnlyList<IValidationRule> Rules = [.. DocumentValidator.CoreRules];

    public static ExecutionOptions Options(GraphQLRequest request, IServiceProvider services, CancellationToken ct,
        IValidationRule? transportRule = null) => new()
    {
        Query = request.Query,
        OperationName = request.OperationName,
        Variables = request.Variables,
        Extensions = request.Extensions,
        RequestServices = services,
        CancellationToken = ct,
        ValidationRules = transportRule is null ? Rules : [.. Rules, transportRule],
    };
}
