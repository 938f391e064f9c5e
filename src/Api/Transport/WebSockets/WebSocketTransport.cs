using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Transport;

/// <summary>
/// graphql-transport-ws on the GraphQL endpoint (shared/notes/graphql.md §2b): accepts the upgrade when the client
/// offers the subprotocol, then hands the socket to a <see cref="GraphQLWsConnection"/> for its whole life.
/// </summary>
public sealed class WebSocketTransport(
    IServiceScopeFactory scopes,
    IDocumentExecuter<ISchema> executer,
    IGraphQLTextSerializer serializer,
    SubscriptionLimiter limiter,
    IOptions<SubscriptionOptions> options,
    IOptions<GraphQLOptions> graphql,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    Conpaas.CloudAgents.DirectorMetrics metrics,
    ILogger<WebSocketTransport> log)
{
    public const string Protocol = "graphql-transport-ws";

    /// <summary>How long a closing socket may take to finish the close handshake before it is aborted.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    internal IServiceScopeFactory Scopes => scopes;
    internal IDocumentExecuter<ISchema> Executer => executer;
    internal IGraphQLTextSerializer Serializer => serializer;
    internal SubscriptionLimiter Limiter => limiter;
    internal Conpaas.CloudAgents.DirectorMetrics Metrics => metrics;
    internal SubscriptionOptions Options => options.Value;
    internal int MaxMessageBytes => graphql.Value.MaxRequestBytes;
    internal TimeProvider Clock => clock;
    internal ILogger Log => log;

    public async Task Handle(HttpContext http)
    {
        // Refused before the upgrade: a browser fails a handshake whose answer lacks the subprotocol it asked for,
        // so accepting and then closing with 4406 would not reach it anyway.
        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(Protocol, StringComparer.Ordinal))
        {
            await GraphQLHttpEndpoint.WriteRequestError(http, StatusCodes.Status400BadRequest, GraphQLHttpEndpoint.Json,
                $"Subprotocol not acceptable: offer '{Protocol}' (Sec-WebSocket-Protocol)");
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync(Protocol);
        var connection = new GraphQLWsConnection(this, socket, SessionAuthentication.Credentials(http.Request),
            http.Connection.RemoteIpAddress, http.RequestAborted);
        using var shutdown = lifetime.ApplicationStopping.Register(() => connection.Close(1001, "Server shutting down"));
        await connection.Run();
    }
}
