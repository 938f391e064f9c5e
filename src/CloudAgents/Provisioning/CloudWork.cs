using Conpaas.Domain;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>The cloud work a decision asks for, and its commit together with the decision.</summary>
public static class CloudWork
{
    /// <summary>Each VM the decision requests is created; each VM it lets go is terminated.</summary>
    public static IEnumerable<object> Of(Decision decision) =>
        decision.Others.Select(o => o.Event switch
            {
                VmRequested => (object?)new ProvisionVm(o.StreamId),
                VmTerminationRequested => new TerminateVm(o.StreamId),
                _ => null,
            })
            .OfType<object>();

    /// <summary>
    /// Saves the session with <paramref name="work"/> in Wolverine's durable outbox: the intents and the work they ask for
    /// commit or fail as one. With the agents off (Agents:Enabled) the intents are recorded and no work is sent.
    /// </summary>
    public static async Task SaveChangesWith(this IDocumentSession session, IEnumerable<object> work, IServiceProvider services, CancellationToken ct)
    {
        var messages = work.Distinct().ToList();
        if (messages.Count == 0 || !services.GetRequiredService<IOptions<AgentOptions>>().Value.Enabled)
        {
            await session.SaveChangesAsync(ct);
            return;
        }

        await using var scope = services.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
        outbox.Enroll(session);
        foreach (var message in messages) await outbox.PublishAsync(message);
        await session.SaveChangesAsync(ct);
    }
}
