using Conpaas.Domain;
using Marten;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// The API's commands (until they return their messages from Wolverine handlers): saves a session with the work its
/// VM intents ask for (<see cref="CloudWork"/>). The cloud agents state their work where they decide it.
/// </summary>
public sealed class IntentOutbox(IServiceProvider services)
{
    public Task Save(IDocumentSession session, CancellationToken ct) =>
        session.SaveChangesWith(session.PendingChanges.Streams()
            .SelectMany(s => CloudWork.Of(Decision.Accept([], s.Events.Select(e => new StreamEvent(s.Id, e.Data))))), services, ct);
}
