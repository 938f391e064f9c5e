using Conpaas.Api.Hosting;
using Conpaas.Api.Transport;
using GraphQL;
using GraphQL.DI;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.GraphQL;

/// <summary>
/// How every document comes in, over every transport: parsed within the request limits (<see cref="DocumentLimits"/>),
/// given the execution deadline, and cached by its text. Clients send the same few documents with new variables, and
/// parsing and validating one cost about a sixth of a mutation's CPU in the Director (measured with perf during P1).
/// A cached document skips only the rules that look at the document alone (graphql-dotnet's core rules); the
/// rules that depend on the request (the HTTP method rule, complexity with its variables) run every time.
/// Bounded by total query length, so a client sending ever new documents cannot grow it.
/// </summary>
public sealed class DocumentCache(IOptions<GraphQLOptions> limits) : IConfigureExecution, IDisposable
{
    /// <summary>Total characters of cached query texts; a parsed document takes about ten times its text.</summary>
    public const long SizeLimit = 2_000_000;
    private const int MaxQueryLength = 20_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = SizeLimit });
    private static readonly HashSet<IValidationRule> DocumentOnlyRules = [.. DocumentValidator.CoreRules];

    public float SortOrder => 200; // after the options are configured (100), so the request's rules are known

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        if (options.Document is not null || options.Query is not { } query)
            return await next(options);

        if (_cache.TryGetValue<GraphQLDocument>(query, out var cached) && cached is not null)
        {
            options.Document = cached;
            options.ValidationRules = (options.ValidationRules ?? DocumentValidator.CoreRules).Where(r => !DocumentOnlyRules.Contains(r)).ToList();
            SetDeadline(options);
            return await next(options);
        }

        try
        {
            options.Document = DocumentLimits.Parse(query, limits.Value);
        }
        catch (ExecutionError refused)
        {
            return new ExecutionResult(refused);
        }

        SetDeadline(options);
        var result = await next(options);
        // Executed means it passed validation; a document with errors is parsed again next time (and fails again).
        if (result.Executed && query.Length <= MaxQueryLength)
            _cache.Set(query, options.Document, new MemoryCacheEntryOptions { Size = query.Length });
        return result;
    }

    /// <summary>
    /// Queries and mutations must finish within GraphQL:ExecutionTimeout. Not subscriptions: their execution only sets
    /// up a stream that lives as long as the client wants.
    /// </summary>
    private void SetDeadline(ExecutionOptions options)
    {
        var timeout = limits.Value.ExecutionTimeout;
        var operation = options.Document!.Definitions.OfType<GraphQLOperationDefinition>()
            .FirstOrDefault(o => options.OperationName is null || o.Name?.StringValue == options.OperationName);
        if (timeout > TimeSpan.Zero && operation?.Operation != OperationType.Subscription) options.Timeout = timeout;
    }

    public int Count => _cache.Count;

    public void Dispose() => _cache.Dispose();
}
