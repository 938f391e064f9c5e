using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using System.Linq.Expressions;
using Conpaas.Api.GraphQL;
using Conpaas.Domain.Users;
using GraphQL.DataLoader;
using JasperFx.Events;
using Marten;

namespace Conpaas.Api.Services;

/// <summary>
/// The read side of applications, services and VMs: the inline snapshots for now, the event log for asOf.
/// Someone else's object answers NOT_FOUND, exactly like a missing one.
/// </summary>
public sealed class Reads(IQuerySession session, Caller caller)
{
    public async Task<Application> Application(Guid id, DateTimeOffset? asOf, CancellationToken ct)
    {
        caller.RequireUser();
        var app = asOf is { } t
            ? await session.Events.AggregateStreamAsync<Application>(id, timestamp: t, token: ct)
            : await session.LoadAsync<Application>(id, ct);
        return app is not null && !app.Deleted && caller.MaySee(app.OwnerId)
            ? app
            : throw ApplicationDecisions.NotFound(id).ToException();
    }

    public async Task<Service> Service(Guid id, DateTimeOffset? asOf, CancellationToken ct)
    {
        caller.RequireUser();
        var service = asOf is { } t
            ? await session.Events.AggregateStreamAsync<Service>(id, timestamp: t, token: ct)
            : await session.LoadAsync<Service>(id, ct);
        return service is not null && !service.Removed && caller.MaySee(service.OwnerId)
            ? service
            : throw ServiceRules.NotFound(id).ToException();
    }

    public async Task<IReadOnlyList<Application>> MyApplications(CancellationToken ct)
    {
        var me = caller.RequireUser();
        return await session.Query<Application>().Where(a => a.OwnerId == me.Id && !a.Deleted).OrderBy(a => a.CreatedAt).ToListAsync(ct);
    }

    // A nested parent (a VM's service, a service's application) may already be deleted or removed while its children
    // are still being cleaned up, and is still shown.

    /// <summary>Service.application: the application of every service at this level in one query.</summary>
    public IDataLoaderResult<Application> ApplicationOf(Service service, DateTimeOffset? asOf) =>
        (_applications ??= new((keys, ct) => LoadEach(keys, (Application a) => a.Id, ApplicationFold, ct))).Load((service.ApplicationId, asOf), app =>
            app is not null && caller.MaySee(app.OwnerId) ? app : throw ApplicationDecisions.NotFound(service.ApplicationId).ToException());

    /// <summary>Vm.service: the service of every VM at this level in one query.</summary>
    public IDataLoaderResult<Service> ServiceOf(Vm vm, DateTimeOffset? asOf) =>
        (_services ??= new((keys, ct) => LoadEach(keys, (Service s) => s.Id, ServiceFold, ct))).Load((vm.ServiceId, asOf), service =>
            service is not null && caller.MaySee(service.OwnerId) ? service : throw ServiceRules.NotFound(vm.ServiceId).ToException());

    /// <summary>Application.owner: the owners of every application at this level in one query.</summary>
    public IDataLoaderResult<User> OwnerOf(Application app) =>
        (_owners ??= new(async (ids, ct) => (await session.LoadManyAsync<User>(ct, ids)).ToDictionary(u => u.Id)))
        .Load(app.OwnerId, owner => owner ?? throw new InvalidOperationException($"Application {app.Id} has no owner {app.OwnerId}"));

    /// <summary>Application.services: the services of every application at this level in one query.</summary>
    public IDataLoaderResult<IReadOnlyList<Service>> ServicesOf(Application app, DateTimeOffset? asOf) =>
        asOf is { } t
            ? (_servicesThen ??= new(ServicesThen)).Load((app, t), services => services ?? [])
            : (_servicesNow ??= new(async (ids, ct) =>
                    (await session.Query<Service>().Where(s => s.ApplicationId.IsOneOf(ids.ToArray()) && !s.Removed).OrderBy(s => s.Sid).ToListAsync(ct))
                    .GroupBy(s => s.ApplicationId).ToDictionary(g => g.Key, g => (IReadOnlyList<Service>)g.ToList())))
                .Load(app.Id, services => services ?? []);

    /// <summary>Service.nodes: the VMs of every service at this level in one query.</summary>
    public IDataLoaderResult<IReadOnlyList<Vm>> NodesOf(Service service, DateTimeOffset? asOf) =>
        (_nodes ??= new(async (keys, ct) => await VmsThen(keys, ids => v => v.ServiceId.IsOneOf(ids), v => v.ServiceId, ct)))
        .Load((service.Id, asOf), vms => vms ?? []);

    /// <summary>Application.vms: the VMs of every application at this level in one query.</summary>
    public IDataLoaderResult<IReadOnlyList<Vm>> VmsOfApplication(Guid applicationId, DateTimeOffset? asOf) =>
        (_applicationVms ??= new(async (keys, ct) => await VmsThen(keys, ids => v => v.ApplicationId.IsOneOf(ids), v => v.ApplicationId, ct)))
        .Load((applicationId, asOf), vms => vms ?? []);

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

    private BatchLoader<(Guid, DateTimeOffset?), Application>? _applications;
    private BatchLoader<(Guid, DateTimeOffset?), Service>? _services;
    private BatchLoader<Guid, User>? _owners;
    private BatchLoader<Guid, IReadOnlyList<Service>>? _servicesNow;
    private BatchLoader<(Application, DateTimeOffset), IReadOnlyList<Service>>? _servicesThen;
    private BatchLoader<(Guid, DateTimeOffset?), IReadOnlyList<Vm>>? _nodes;
    private BatchLoader<(Guid, DateTimeOffset?), IReadOnlyList<Vm>>? _applicationVms;

    /// <summary>The current documents in one query; the ones asked for as of a time in one more round trip.</summary>
    private async Task<IReadOnlyDictionary<(Guid, DateTimeOffset?), T>> LoadEach<T>(IReadOnlyCollection<(Guid Id, DateTimeOffset? AsOf)> keys, Func<T, Guid> idOf, Fold<T> fold, CancellationToken ct)
        where T : class
    {
        var found = new Dictionary<(Guid, DateTimeOffset?), T>();
        var now = keys.Where(k => k.AsOf is null).Select(k => k.Id).ToArray();
        if (now.Length > 0)
            foreach (var doc in await session.LoadManyAsync<T>(ct, now))
                found[(idOf(doc), null)] = doc;
        var then = await StreamsAsOf(keys.Where(k => k.AsOf is not null).Select(k => (k.Id, k.AsOf!.Value)).ToList(), fold, ct);
        foreach (var ((id, t), doc) in then) found[(id, t)] = doc;
        return found;
    }

    private async Task<IReadOnlyDictionary<(Application, DateTimeOffset), IReadOnlyList<Service>>> ServicesThen(
        IReadOnlyCollection<(Application App, DateTimeOffset AsOf)> keys, CancellationToken ct)
    {
        var slots = keys.SelectMany(k => k.App.Services.Select(s => (s.ServiceId, k.AsOf))).ToList();
        var atTime = await StreamsAsOf(slots, ServiceFold, ct);
        // The slot and the service's first event are one decision, committed together but stamped a few microseconds
        // apart: a slot the application had at t means the service existed, as it was added.
        var added = await StreamsAsOf(slots.Where(s => !atTime.ContainsKey(s)).ToList(), ServiceFold, ct, version: 1);
        return keys.ToDictionary(k => k, k => (IReadOnlyList<Service>)k.App.Services.OrderBy(s => s.Sid)
            .Select(s => atTime.GetValueOrDefault((s.ServiceId, k.AsOf)) ?? added.GetValueOrDefault((s.ServiceId, k.AsOf)))
            .OfType<Service>().Where(s => !s.Removed).ToList());
    }

    /// <summary>The VMs of several parents (services or applications) in one query, each parent's live ones first;
    /// as of a time, the ones created by then, read from the event log in one more round trip.</summary>
    private async Task<IReadOnlyDictionary<(Guid, DateTimeOffset?), IReadOnlyList<Vm>>> VmsThen(
        IReadOnlyCollection<(Guid Id, DateTimeOffset? AsOf)> keys, Func<Guid[], Expression<Func<Vm, bool>>> ofParents, Func<Vm, Guid> parent,
        CancellationToken ct)
    {
        var current = (await session.Query<Vm>().Where(ofParents(keys.Select(k => k.Id).Distinct().ToArray())).ToListAsync(ct)).ToLookup(parent);
        var old = await StreamsAsOf(keys.Where(k => k.AsOf is not null)
            .SelectMany(k => current[k.Id].Where(v => v.CreatedAt <= k.AsOf).Select(v => (v.Id, k.AsOf!.Value))).ToList(), VmFold, ct);
        return keys.ToDictionary(k => k, k => (IReadOnlyList<Vm>)LiveFirst(k.AsOf is { } t
            ? current[k.Id].Select(v => old.GetValueOrDefault((v.Id, t))).OfType<Vm>()
            : current[k.Id]));
    }

    /// <summary>Streams rebuilt from the event log as they were at their times (or at <paramref name="version"/>), in
    /// one round trip (a batch of Marten's stream fetches) instead of one per stream. A stream that did not exist yet is
    /// left out. The events go through the domain's one dispatch, as in the inline projections and Marten's
    /// AggregateStreamAsync, which a batch does not offer.</summary>
    private async Task<IReadOnlyDictionary<(Guid, DateTimeOffset), T>> StreamsAsOf<T>(IReadOnlyCollection<(Guid Id, DateTimeOffset At)> keys,
        Fold<T> fold, CancellationToken ct, long version = 0) where T : class
    {
        if (keys.Count == 0) return new Dictionary<(Guid, DateTimeOffset), T>();
        var batch = session.CreateBatchQuery();
        var reads = keys.Distinct()
            .Select(k => (Key: k, Events: version == 0 ? batch.Events.FetchStream(k.Id, timestamp: k.At) : batch.Events.FetchStream(k.Id, version)))
            .ToList();
        await batch.Execute(ct);
        var found = new Dictionary<(Guid, DateTimeOffset), T>();
        foreach (var (key, events) in reads)
            if (fold.Rebuild(await events) is { } doc) found[key] = doc;
        return found;
    }

    /// <summary>How a type is rebuilt from its stream's events as its inline projection builds it: the events that evolve
    /// it (<see cref="Domain.IEvolves{T}"/>) through the domain's one dispatch, then the version of the last of them, which
    /// Marten stamps on the aggregate.</summary>
    private sealed record Fold<T>(Func<T?, object, T?> After, Action<T, int> Stamp) where T : class
    {
        public T? Rebuild(IReadOnlyList<IEvent> events)
        {
            var applied = events.Where(e => e.Data is Domain.IEvolves<T>).ToList();
            var state = applied.Aggregate(default(T), (s, e) => After(s, e.Data));
            if (state is not null) Stamp(state, (int)applied[^1].Version);
            return state;
        }
    }

    private static readonly Fold<Application> ApplicationFold = new(Domain.Applications.Application.After, (a, v) => a.Version = v);
    private static readonly Fold<Service> ServiceFold = new(Domain.Services.Service.After, (s, v) => s.Version = v);
    private static readonly Fold<Vm> VmFold = new(Vm.After, (vm, v) => vm.Version = v);

    private static List<Vm> LiveFirst(IEnumerable<Vm> vms) =>
        vms.OrderByDescending(v => v.IsLive).ThenBy(v => v.Role).ThenBy(v => v.CreatedAt).ThenBy(v => v.Name).ToList();
}
