using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.EventStore;
using GraphQL;
using Marten;
using Wolverine.Marten;

namespace Conpaas.Api.Applications;

/// <summary>createApplication. ApplicationId comes from the caller's idempotency key when there is one.</summary>
public sealed record CreateApplication(Guid ApplicationId, string? Name, string? IdempotencyKey, Actor By);

public static class CreateApplicationHandler
{
    /// <summary>A name in use is found by the unique index (ux_application_owner_name) at commit, not by a query first.</summary>
    public static async Task<(Application, IMartenOp)> Handle(CreateApplication cmd, IDocumentSession session,
        ServiceContextFactory contexts, TimeProvider clock, CancellationToken ct)
    {
        if (await FirstResult(session, cmd, ct) is { } first) return (first, MartenOps.Nothing());
        var created = ApplicationDecisions.Create(cmd.ApplicationId, cmd.By.Id, cmd.Name, contexts.Vpn, clock.GetUtcNow()).EventsOrThrow();
        // The snapshot the inline projection stores, made the same way (Application.After), without reading it back.
        var application = Application.After(null, created.Single())!;
        application.Version = created.Count;
        return (application, MartenOps.StartStream<Application>(cmd.ApplicationId, [.. created]));
    }

    /// <summary>
    /// The mutation: a retry racing the first call with the same key gets the first call's result; a name taken
    /// meanwhile is CONFLICT.
    /// </summary>
    public static async Task<Application> Send(IResolveFieldContext c, string? name, string? idempotencyKey)
    {
        Ids.CheckKey(idempotencyKey);
        CreateApplication? sent = null;
        try
        {
            return await c.Invoke<Application>(by => sent = new CreateApplication(
                idempotencyKey is null ? Guid.CreateVersion7() : Ids.FromKey(by.Id, "application", idempotencyKey), name, idempotencyKey, by));
        }
        catch (Exception ex) when (sent is not null && (ex is Marten.Exceptions.ExistingStreamIdCollisionException
                                       or JasperFx.Events.ExistingStreamIdCollisionException || PostgresErrors.IsUniqueViolation(ex)))
        {
            await using var read = c.Get<IDocumentStore>().QuerySession();
            if (await FirstResult(read, sent, c.CancellationToken) is { } winner) return winner;
            throw ApplicationDecisions.NameTaken(name!).ToException();
        }
    }

    /// <summary>What an earlier call with this idempotency key created, if there was one.</summary>
    public static async Task<Application?> FirstResult(IQuerySession session, CreateApplication cmd, CancellationToken ct)
    {
        if (cmd.IdempotencyKey is null) return null;
        var first = await session.LoadAsync<Application>(cmd.ApplicationId, ct);
        return first is { Deleted: true }
            ? throw DomainError.Conflict($"The idempotency key '{Text.Quote(cmd.IdempotencyKey)}' created an application that has since been deleted", "idempotencyKey").ToException()
            : first;
    }
}
