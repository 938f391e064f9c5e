using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Writing;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>What the service slice's handlers share: who may act on a service, what a decision needs, what it writes.</summary>
public static class ServiceWrites
{
    /// <summary>The service, unless it is removed or someone else's: then NOT_FOUND, exactly like a missing one.</summary>
    public static Service Visible(Service? service, Guid id, Actor by) =>
        service is { Removed: false } s && by.MaySee(s.OwnerId) ? s : throw ServiceRules.NotFound(id).ToException();

    /// <summary>The decision's context; credit is the owner's, also when an administrator acts on the service.</summary>
    public static async Task<ServiceContext> Context(IDocumentSession session, Service service, ServiceContextFactory contexts, CancellationToken ct) =>
        contexts.Create((await session.LoadAsync<User>(service.OwnerId, ct))?.Credit ?? 0);

    /// <summary>
    /// A decision on the service as the handler returns it: the service's new state as the answer, its events, and the
    /// cloud work the decision asks for (cascaded, committed with the events); VM streams are started or appended here.
    /// </summary>
    public static (UpdatedAggregate, Events, OutgoingMessages) Outcome(IDocumentSession session, Guid serviceId, Decision decision, CloudWork work) =>
        (new UpdatedAggregate(), new Events(session.AppendOthers(serviceId, decision)), work.For(decision));
}
