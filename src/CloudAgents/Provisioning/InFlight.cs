using System.Collections.Concurrent;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>
/// The VMs this node's handlers are still working on (a create retrying with backoff, a readiness check
/// polling), so that reconciliation does not start a second chain for them. After a crash it is empty, and
/// reconciliation hands stalled VMs back as it should.
/// </summary>
public sealed class InFlight(TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _until = new();

    public void Working(Guid vmId, TimeSpan atMost) => _until[vmId] = clock.GetUtcNow() + atMost;

    public void Done(Guid vmId) => _until.TryRemove(vmId, out _);

    public bool IsWorking(Guid vmId) => _until.TryGetValue(vmId, out var until) && until > clock.GetUtcNow();
}
