using Conpaas.Domain;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// The cloud work a decision asks for: a VM requested is provisioned, a VM whose termination is requested is
/// terminated. A command handler cascades it with its events (<see cref="For"/>); the outcome recorder, which saves its
/// own session, commits it through the outbox (<see cref="CloudWorkOutbox.SaveChangesWith"/>). Either way the intents
/// and the work they ask for commit or fail as one. None while Agents:Enabled is off: the intents are recorded and no
/// cloud is called.
/// </summary>
public sealed class CloudWork(IOptions<AgentOptions> options)
{
    /// <summary>Each VM the decision requests is created; each VM it lets go is terminated (once each).</summary>
    public static IEnumerable<object> Of(Decision decision) =>
        decision.Others.DistinctBy(o => (o.StreamId, o.Event.GetType()))
            .Select(o => o.Event switch
            {
                VmRequested => (object?)new ProvisionVm(o.StreamId),
                VmTerminationRequested => new TerminateVm(o.StreamId),
                _ => null,
            })
            .OfType<object>();

    /// <summary>The decision's cloud work as the messages a handler returns beside its events.</summary>
    public OutgoingMessages For(Decision decision)
    {
        var messages = new OutgoingMessages();
        if (options.Value.Enabled) messages.AddRange(Of(decision));
        return messages;
    }
}

public static class CloudWorkOutbox
{
    /// <summary>Saves the session with <paramref name="work"/> in Wolverine's durable outbox, in the same commit.</summary>
    public static async Task SaveChangesWith(this IDocumentSession session, IEnumerable<object> work, IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        await session.SaveChangesWith(work, scope.ServiceProvider.GetRequiredService<IMartenOutbox>(),
            services.GetRequiredService<IOptions<AgentOptions>>().Value, ct);
    }

    /// <inheritdoc cref="SaveChangesWith(IDocumentSession, IEnumerable{object}, IServiceProvider, CancellationToken)"/>
    public static async Task SaveChangesWith(this IDocumentSession session, IEnumerable<object> work, IMartenOutbox outbox, AgentOptions agents,
        CancellationToken ct)
    {
        var messages = work.Distinct().ToList();
        if (messages.Count > 0 && agents.Enabled)
        {
            outbox.Enroll(session);
            foreach (var message in messages) await outbox.PublishAsync(message);
        }

        await session.SaveChangesAsync(ct);
    }
}
