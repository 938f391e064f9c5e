using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Marten;

namespace Conpaas.Api.Services;

/// <summary>
/// The read side of applications, services and VMs: the inline snapshots for now, the event log for asOf.
/// Someone else's object answers NOT_FOUND, exactly like a missing one.
/// </summary>
public sealed class Reads(IQuerySession session, Caller caller)
{
    /// <param name="orGone">For a nested field (a VM's service, a service's application): the parent may already be
    /// deleted or removed while its children are still being cleaned up, and is still shown.</param>
    public async Task<Application> Application(Guid id, DateTimeOffset? asOf, CancellationToken ct, bool orGone = false)
    {
        caller.RequireUser();
        var app = asOf is { } t
            ? await session.Events.AggregateStreamAsync<Application>(id, timestamp: t, token: ct)
            : await session.LoadAsync<Application>(id, ct);
        return app is not null && (orGone || !app.Deleted) && caller.MaySee(app.OwnerId)
            ? app
            : throw ApplicationDecisions.NotFound(id).ToException();
    }

    public async Task<Service> Service(Guid id, DateTimeOffset? asOf, CancellationToken ct, bool orGone = false)
    {
        caller.RequireUser();
        var service = asOf is { } t
            ? await session.Events.AggregateStreamAsync<Service>(id, timestamp: t, token: ct)
            : await session.LoadAsync<Service>(id, ct);
        return service is not null && (orGone || !service.Removed) && caller.MaySee(service.OwnerId)
            ? service
            : throw ServiceRules.NotFound(id).ToException();
    }

    public async Task<IReadOnlyList<Application>> MyApplications(CancellationToken ct)
    {
        var me = caller.RequireUser();
        return await session.Query<Application>().Where(a => a.OwnerId == me.Id && !a.Deleted).OrderBy(a => a.CreatedAt).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Service>> ServicesOf(Application app, DateTimeOffset? asOf, CancellationToken ct)
    {
        if (asOf is not { } t)
            return await session.Query<Service>().Where(s => s.ApplicationId == app.Id && !s.Removed).OrderBy(s => s.Sid).ToListAsync(ct);

        var services = new List<Service>();
        foreach (var slot in app.Services.OrderBy(s => s.Sid))
        {
            // The slot and the service's first event are one decision, committed together but stamped a few
            // microseconds apart: a slot the application had at t means the service existed, as it was added.
            var service = await session.Events.AggregateStreamAsync<Service>(slot.ServiceId, timestamp: t, token: ct)
                          ?? await session.Events.AggregateStreamAsync<Service>(slot.ServiceId, version: 1, token: ct);
            if (service is { Removed: false }) services.Add(service);
        }

        return services;
    }

    public async Task<IReadOnlyList<Vm>> NodesOf(Service service, DateTimeOffset? asOf, CancellationToken ct) =>
        await AsOf(await session.Query<Vm>().Where(v => v.ServiceId == service.Id).ToListAsync(ct), asOf, ct);

    public async Task<IReadOnlyList<Vm>> VmsOfApplication(Guid applicationId, DateTimeOffset? asOf, CancellationToken ct) =>
        await AsOf(await session.Query<Vm>().Where(v => v.ApplicationId == applicationId).ToListAsync(ct), asOf, ct);

    /// <summary>ConPaaS list_resources: the caller's VMs, or everyone's for an administrator who asks.</summary>
    public async Task<IReadOnlyList<Vm>> Vms(string? applicationId, bool includeTerminated, bool all, CancellationToken ct)
    {
        var me = caller.RequireUser();
        if (all && !me.IsAdmin) throw DomainError.Forbidden("Only administrators may list every user's VMs (all: true)").ToException();
        IQueryable<Vm> query = session.Query<Vm>();
        if (!all) query = query.Where(v => v.OwnerId == me.Id);
        if (applicationId is not null)
        {
            var app = await Application(GraphQL.Ids.Parse(applicationId, "applicationId"), null, ct);
            query = query.Where(v => v.ApplicationId == app.Id);
        }

        if (!includeTerminated)
            query = query.Where(v => !v.Released && v.State != VmState.TERMINATED && v.State != VmState.LOST);
        return LiveFirst(await query.ToListAsync(ct));
    }

    private async Task<IReadOnlyList<Vm>> AsOf(IReadOnlyList<Vm> current, DateTimeOffset? asOf, CancellationToken ct)
    {
        if (asOf is not { } t) return LiveFirst(current);
        var then = new List<Vm>();
        foreach (var vm in current.Where(v => v.CreatedAt <= t))
            if (await session.Events.AggregateStreamAsync<Vm>(vm.Id, timestamp: t, token: ct) is { } old)
                then.Add(old);
        return LiveFirst(then);
    }

    private static List<Vm> LiveFirst(IEnumerable<Vm> vms) =>
        vms.OrderByDescending(v => v.IsLive).ThenBy(v => v.Role).ThenBy(v => v.CreatedAt).ThenBy(v => v.Name).ToList();
}
