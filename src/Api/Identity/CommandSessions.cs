using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain;
using Marten;

namespace Conpaas.Api.Identity;

/// <summary>Sessions for the caller's commands: stamped with who and which request, saved with their VM intents.</summary>
public sealed class CommandSessions(IDocumentStore store, IntentOutbox outbox, Caller caller)
{
    public IDocumentSession Open()
    {
        caller.RequireUser();
        var session = store.LightweightSession();
        session.CorrelationId = caller.CorrelationId;
        session.LastModifiedBy = caller.Actor;
        return session;
    }

    public Task Save(IDocumentSession session, CancellationToken ct) => outbox.Save(session, ct);

    /// <summary>
    /// Saves; when the caller named the version it expected and another writer got in between our read and our
    /// write, the answer is VERSION_CONFLICT with the version that is current now.
    /// </summary>
    public async Task SaveExpecting(IDocumentSession session, Guid streamId, int? expectedVersion, CancellationToken ct)
    {
        try
        {
            await outbox.Save(session, ct);
        }
        catch (JasperFx.ConcurrencyException) when (expectedVersion is { } expected)
        {
            await using var fresh = store.QuerySession();
            var current = await fresh.Events.FetchStreamStateAsync(streamId, ct);
            throw DomainError.VersionConflict(expected, current?.Version ?? 0).ToException();
        }
    }
}
