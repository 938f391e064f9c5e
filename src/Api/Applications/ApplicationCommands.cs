using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.EventStore.Writing;
using Marten;

namespace Conpaas.Api.Applications;

/// <summary>Glue of the application slice: load, decide (Conpaas.Domain.Applications), append, save.</summary>
public sealed class ApplicationCommands(IDocumentStore store, CommandSessions sessions, Caller caller, ServiceContextFactory contexts, TimeProvider clock)
{
    public async Task<Application> Create(string? name, string? idempotencyKey, CancellationToken ct)
    {
        var owner = caller.RequireUser();
        Ids.CheckKey(idempotencyKey);
        var id = idempotencyKey is null ? Guid.CreateVersion7() : Ids.FromKey(owner.Id, "application", idempotencyKey);
        if (await FirstResult(id, idempotencyKey, ct) is { } first) return first;

        var created = ApplicationDecisions.Create(id, owner.Id, name, contexts.Vpn, clock.GetUtcNow()).EventsOrThrow();
        await using var session = sessions.Open();
        try
        {
            // A name in use is found by the unique index (ux_application_owner_name) at commit, not by a query first.
            session.Events.StartStream<Application>(id, created.ToArray());
            await sessions.Save(session, ct);
        }
        catch (Exception ex) when (ex is DomainException or Marten.Exceptions.ExistingStreamIdCollisionException
                                       or JasperFx.Events.ExistingStreamIdCollisionException || Errors.IsUniqueViolation(ex))
        {
            // A retry racing the first call with the same key gets the first call's result.
            if (await FirstResult(id, idempotencyKey, ct) is { } winner) return winner;
            if (ex is DomainException) throw;
            throw ApplicationDecisions.NameTaken(name!).ToException();
        }

        // The snapshot the inline projection stored, made the same way (Application.Create), without reading it back.
        var application = Application.Create((ApplicationCreated)created.Single());
        application.Version = created.Count;
        return application;
    }

    /// <summary>What an earlier call with this idempotency key created, if there was one.</summary>
    private async Task<Application?> FirstResult(Guid id, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is null) return null;
        await using var read = store.QuerySession();
        var first = await read.LoadAsync<Application>(id, ct);
        return first is { Deleted: true }
            ? throw DomainError.Conflict($"The idempotency key '{Text.Quote(idempotencyKey)}' created an application that has since been deleted", "idempotencyKey").ToException()
            : first;
    }

    public async Task<Application> Rename(string id, string? name, int? expectedVersion, CancellationToken ct)
    {
        var appId = Ids.Parse(id, "id");
        try
        {
            return await Write(appId, expectedVersion, app => ApplicationDecisions.Rename(app, name, expectedVersion), ct);
        }
        catch (Exception ex) when (Errors.IsUniqueViolation(ex))
        {
            throw ApplicationDecisions.NameTaken(name!).ToException();
        }
    }

    /// <summary>Every service is removed (stopped first where it holds VMs), then the application; one transaction.</summary>
    public async Task Delete(string id, CancellationToken ct)
    {
        var appId = Ids.Parse(id, "id");
        await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            var stream = await session.Events.FetchForWriting<Application>(appId, ct);
            var app = Visible(stream.Aggregate, appId);
            foreach (var slot in app.Services)
            {
                var service = await session.Events.FetchForWriting<Service>(slot.ServiceId, ct);
                if (service.Aggregate is { Removed: false } s) session.Append(service, RemoveService.Decide(s));
            }

            stream.AppendOne(new ApplicationDeleted());
            await sessions.Save(session, ct);
            return true;
        });
    }

    private async Task<Application> Write(Guid appId, int? expectedVersion, Func<Application, Decision> decide, CancellationToken ct)
    {
        return await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            var stream = await session.Events.FetchForWriting<Application>(appId, ct);
            var app = Visible(stream.Aggregate, appId);
            session.Append(stream, decide(app));
            await sessions.SaveExpecting(session, appId, expectedVersion, ct);

            // The inline projection applied the new events to this very instance (Marten's identity map for
            // aggregates) and set its version: it is the stored snapshot, no need to read it back.
            return stream.Aggregate is { } saved && saved.Version == stream.CurrentVersion
                ? saved
                : (await session.LoadAsync<Application>(appId, ct))!;
        });
    }

    /// <summary>Someone else's application answers exactly like a missing one.</summary>
    private Application Visible(Application? app, Guid id) =>
        app is { Deleted: false } && caller.MaySee(app.OwnerId) ? app : throw ApplicationDecisions.NotFound(id).ToException();
}
