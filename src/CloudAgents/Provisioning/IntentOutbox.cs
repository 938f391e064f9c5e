using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Marten;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// Saves a session together with a durable message for every VM intent it appends (VmRequested → ProvisionVm,
/// VmTerminationRequested → TerminateVm): the intent and the work it asks for commit or fail as one.
/// </summary>
public sealed class IntentOutbox(IServiceProvider services, Microsoft.Extensions.Options.IOptions<AgentOptions> options)
{
    public async Task Save(IDocumentSession session, CancellationToken ct)
    {
        var intents = session.PendingChanges.Streams()
            .SelectMany(s => s.Events.Select(e => (s.Id, e.Data)))
            .Select(x => x.Data switch
            {
                VmRequested => (object?)new ProvisionVm(x.Id),
                VmTerminationRequested => new TerminateVm(x.Id),
                _ => null,
            })
            .OfType<object>()
            .Distinct()
            .ToList();
        if (intents.Count == 0 || !options.Value.Enabled)
        {
            await session.SaveChangesAsync(ct);
            return;
        }

        await using var scope = services.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<IMartenOutbox>();
        outbox.Enroll(session);
        foreach (var intent in intents) await outbox.PublishAsync(intent);
        await session.SaveChangesAsync(ct);
    }
}
