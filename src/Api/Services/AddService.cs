using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.EventStore.Writing;
using Marten;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>
/// addService: the application hands out the next sid and the lowest free subnet. ServiceId comes from the caller's
/// idempotency key when there is one (the same key answers the first addition).
/// </summary>
public sealed record AddService(Guid ApplicationId, Guid ServiceId, string? Type, string? Name, bool Idempotent, Actor By);

public static class AddServiceHandler
{
    /// <summary>
    /// The application's lock: concurrent additions to one application (a script adding its services in parallel) take
    /// turns instead of racing for the next sid and subnet and starting over (the P3 set-up, 25 additions at once per
    /// application, lost about one race per addition). The application's version is still checked at commit.
    /// </summary>
    public static async Task<(Service, Events)> Handle(AddService cmd,
        [WriteAggregate(Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] Application? application,
        IDocumentSession session, ServiceContextFactory contexts, TimeProvider clock, CancellationToken ct)
    {
        // Read under the lock: a retry racing the first call with the same key finds the first call's service.
        if (cmd.Idempotent && await session.LoadAsync<Service>(cmd.ServiceId, ct) is { } first) return (first, []);
        var app = application is { Deleted: false } a && cmd.By.MaySee(a.OwnerId)
            ? a
            : throw ApplicationDecisions.NotFound(cmd.ApplicationId).ToException();
        var decision = Domain.Services.AddService.Decide(app, cmd.ServiceId, cmd.Type, cmd.Name, contexts.Vpn, clock.GetUtcNow());
        var events = new Events(session.AppendOthers(cmd.ApplicationId, decision));
        // The snapshot the inline projection stores, made the same way, without reading it back.
        var added = Service.After(null, decision.Others.Select(o => o.Event).OfType<ServiceAdded>().Single())!;
        added.Version = 1;
        return (added, events);
    }
}
