using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>The proof that a refusal changed nothing: the event log's highest sequence did not move.</summary>
public static class EventLog
{
    public static async Task<long> Head(DirectorApp app)
    {
        var store = app.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var head = await session.QueryAsync<long>(
            $"select coalesce(max(seq_id), 0) from {store.Options.Events.DatabaseSchemaName}.mt_events where type <> 'tombstone'", TestContext.Current.CancellationToken);
        return head.Single();
    }

    /// <summary>What was appended after <paramref name="sequence"/>: type, stream and time of each event.</summary>
    private static async Task<string> Since(DirectorApp app, long sequence)
    {
        var store = app.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var rows = await session.QueryAsync<string>(
            $"select seq_id || ' ' || type || ' ' || stream_id || ' ' || timestamp from {store.Options.Events.DatabaseSchemaName}.mt_events where seq_id > ? and type <> 'tombstone' order by seq_id",
            TestContext.Current.CancellationToken, sequence);
        return string.Join("; ", rows);
    }

    /// <summary>Sends a request that must be refused with <paramref name="code"/>, and checks no event was appended.</summary>
    public static async Task<JsonObject> RefusedAndNothingAppended(this GraphQLClient client, DirectorApp app, string code, string document,
        object? variables = null)
    {
        var before = await Head(app);
        var error = await client.Fails(code, document, variables);
        var after = await Head(app);
        Assert.True(before == after, $"events appended by a refused request: {await Since(app, before)}");
        return error;
    }
}
