using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Writing;
using Marten;

namespace Conpaas.Api.Services;

/// <summary>Glue of the service slice: load, decide (Conpaas.Domain.Services), append, save, answer with fresh state.</summary>
public sealed class ServiceCommands(
    IDocumentStore store,
    CommandSessions sessions,
    Caller caller,
    ServiceContextFactory contexts,
    TimeProvider clock)
{
    public async Task<Service> Add(string applicationId, string? type, string? name, string? idempotencyKey, CancellationToken ct)
    {
        var owner = caller.RequireUser();
        var appId = Ids.Parse(applicationId, "applicationId");
        Ids.CheckKey(idempotencyKey);
        var serviceId = idempotencyKey is null ? Guid.CreateVersion7() : Ids.FromKey(owner.Id, "service", idempotencyKey);

        return await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            if (idempotencyKey is not null && await session.LoadAsync<Service>(serviceId, ct) is { } first) return first;

            // The application's lock: concurrent additions to one application (a script adding its services in
            // parallel) take turns instead of racing for the next sid and subnet and starting over, each loser with
            // a backoff (the P3 set-up, 25 additions at once per application, lost about one race per addition).
            var stream = await session.Events.FetchForExclusiveWriting<Application>(appId, ct);
            var app = stream.Aggregate is { Deleted: false } a && caller.MaySee(a.OwnerId)
                ? a
                : throw ApplicationDecisions.NotFound(appId).ToException();
            // The application's version is still checked at commit: no two additions share a sid or a subnet.
            session.Append(stream, AddService.Decide(app, serviceId, type, name, contexts.Vpn, clock.GetUtcNow()));
            try
            {
                await sessions.Save(session, ct);
            }
            catch (Exception ex) when (idempotencyKey is not null
                                       && ex is Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException)
            {
                // The same key raced with itself; the first addition is the answer.
            }

            await using var read = store.QuerySession();
            return (await read.LoadAsync<Service>(serviceId, ct))!;
        });
    }

    public Task<Service> Rename(string id, string? name, int? expectedVersion, CancellationToken ct) =>
        Write(id, expectedVersion, (s, _) => RenameService.Decide(s, name, expectedVersion), ct);

    public Task<Service> Start(string id, string? cloud, CancellationToken ct) =>
        Write(id, null, (s, ctx) => StartService.Decide(s, cloud, ctx), ct);

    public Task<Service> Stop(string id, CancellationToken ct) =>
        Write(id, null, (s, _) => StopService.Decide(s), ct);

    public async Task Remove(string id, CancellationToken ct) =>
        await Write(id, null, (s, _) => RemoveService.Decide(s), ct);

    public Task<Service> AddNodes(string id, IReadOnlyList<NodeCount> nodes, int? expectedVersion, CancellationToken ct) =>
        Write(id, expectedVersion, (s, ctx) => Domain.Services.AddNodes.Decide(s, nodes, expectedVersion, ctx), ct, "serviceId");

    public Task<Service> RemoveNodes(string id, IReadOnlyList<NodeCount> nodes, int? expectedVersion, CancellationToken ct) =>
        Write(id, expectedVersion, (s, ctx) => Domain.Services.RemoveNodes.Decide(s, nodes, expectedVersion, ctx.Clouds), ct, "serviceId");

    private async Task<Service> Write(string id, int? expectedVersion, Func<Service, ServiceContext, Decision> decide, CancellationToken ct,
        string argument = "id")
    {
        caller.RequireUser();
        var serviceId = Ids.Parse(id, argument);
        return await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            var stream = await session.Events.FetchForWriting<Service>(serviceId, ct);
            var service = stream.Aggregate is { Removed: false } s && caller.MaySee(s.OwnerId)
                ? s
                : throw ServiceRules.NotFound(serviceId).ToException();
            // Credit is the owner's, also when an administrator acts on the service.
            var owner = await session.LoadAsync<User>(service.OwnerId, ct);
            var ctx = contexts.Create(owner?.Credit ?? 0);
            session.Append(stream, decide(service, ctx));
            await sessions.SaveExpecting(session, serviceId, expectedVersion, ct);

            return await session.LoadAsync<Service>(serviceId, ct) ?? service;
        });
    }
}
