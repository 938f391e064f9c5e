using Conpaas.Api.GraphQL;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQLParser.AST;

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

    /// <summary>The HTTP method rules of the HTTP and SSE transports: a mutation only over POST (a GET must be safe to
    /// repeat); a subscription only over an event stream, where GET is allowed (that is what EventSource sends).</summary>
    public sealed class HttpMethodRule(bool isGet, bool eventStream) : ValidationRuleBase
    {
        public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
        {
            var type = context.Operation.Operation;
            if (isGet && (type == OperationType.Mutation || type == OperationType.Subscription && !eventStream))
                context.ReportError(new MethodNotAllowedError($"A {type.ToString().ToLowerInvariant()} cannot be sent with GET: use POST"));
            else if (type == OperationType.Subscription && !eventStream)
                context.ReportError(new MethodNotAllowedError("Subscriptions are served over WebSocket or Server-Sent Events, not plain HTTP"));
            return default;
        }
    }
}
