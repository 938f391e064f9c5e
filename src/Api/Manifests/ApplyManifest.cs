using Conpaas.Api.Files;
using Conpaas.Api.GraphQL;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Files;
using Conpaas.Domain.Manifests;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.Files;
using Conpaas.EventStore.Writing;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

namespace Conpaas.Api.Manifests;

/// <summary>applyManifest: the caller (owner, actor and request) travels with the command, which runs outside the request's scope.</summary>
public sealed record ApplyManifest(Guid OwnerId, string Actor, string CorrelationId, Manifest Manifest, bool DryRun);

/// <summary>The plan, and the application as it is after the apply (null after a dry run that would create it).</summary>
public sealed record ManifestApplied(Manifest Manifest, ManifestPlan Plan, Application? Application, bool DryRun);

/// <summary>
/// Loads the application the manifest names with its services, plans (Conpaas.Domain.Manifests) and commits every
/// step's events in one transaction: all steps or none. Nothing to do, or a dry run, writes nothing.
/// </summary>
public static class ApplyManifestHandler
{
    /// <summary>The Marten event header naming the manifest (its SHA-256) that caused an event.</summary>
    public const string DigestHeader = "manifestDigest";

    public static Task<ManifestApplied> Handle(ApplyManifest command, IDocumentStore store, IMartenOutbox outbox, IOptions<AgentOptions> agents, ServiceContextFactory contexts,
        CancellationToken ct) =>
        DecisionCommit.Retrying(async () =>
        {
            var manifest = command.Manifest;
            await using var session = store.LightweightSession();
            session.CorrelationId = command.CorrelationId;
            session.LastModifiedBy = command.Actor;
            session.SetHeader(DigestHeader, manifest.Digest);

            var existing = await Find(session, command, ct);
            var appStream = await session.Events.FetchForWriting<Application>(existing?.Id ?? Guid.CreateVersion7(), ct);
            var services = new Dictionary<Guid, JasperFx.Events.IEventStream<Service>>();
            foreach (var slot in appStream.Aggregate?.Services ?? [])
                services[slot.ServiceId] = await session.Events.FetchForWriting<Service>(slot.ServiceId, ct);

            var owner = await session.LoadAsync<User>(command.OwnerId, ct);
            // Files are read only for a manifest that names some: most applies need none.
            var files = manifest.Services.Any(s => s.Files is { Count: > 0 })
                ? new ManifestFiles(
                    (await session.Query<FileView>().Where(f => f.OwnerId == command.OwnerId).ToListAsync(ct)).Select(f => f.Owned()).ToList(),
                    await CurrentFiles(session, services.Keys, ct))
                : ManifestFiles.None;
            var plan = ManifestPlanner.Plan(manifest, appStream.Aggregate, services.Values.Select(s => s.Aggregate).OfType<Service>().ToList(),
                command.OwnerId, appStream.Id, contexts.Create(owner?.Credit ?? 0), files);
            // A refusal is an answer, not a failed message: the resolver turns it into the error.
            if (plan.IsRefused || command.DryRun || plan.Events.Count == 0) return new ManifestApplied(manifest, plan, appStream.Aggregate, command.DryRun);

            // Streams read above are appended through their handle (version-checked); the rest are new or VM streams.
            var others = new List<StreamEvent>();
            foreach (var e in plan.Events)
            {
                if (services.TryGetValue(e.StreamId, out var stream)) stream.AppendOne(e.Event);
                else if (e.StreamId != appStream.Id) others.Add(e);
            }

            session.Append(appStream, Decision.Accept(plan.Events.Where(e => e.StreamId == appStream.Id).Select(e => e.Event), others));
            try
            {
                // The VMs the plan requests or lets go, sent with this commit.
                await session.SaveChangesWith(CloudWork.Of(Decision.Accept([], plan.Events)), outbox, agents.Value, ct);
            }
            catch (Exception ex) when (PostgresErrors.IsUniqueViolation(ex))
            {
                // Another apply (or createApplication) made the application first: planning again converges onto it.
                if (existing is null) throw new JasperFx.ConcurrencyException($"Application '{manifest.Application}' was created meanwhile", ex);
                throw ApplicationDecisions.NameTaken(manifest.Application).ToException();
            }

            await using var read = store.QuerySession();
            return new ManifestApplied(manifest, plan, await read.LoadAsync<Application>(plan.ApplicationId, ct), false);
        });

    /// <summary>The owner's live application by ApplicationId, else by name (as names are unique: letter case and composition aside).</summary>
    private static async Task<Application?> Find(IQuerySession session, ApplyManifest command, CancellationToken ct)
    {
        if (command.Manifest.ApplicationId is { } id)
            return await session.LoadAsync<Application>(id, ct) is { Deleted: false } app && app.OwnerId == command.OwnerId ? app : null;
        var key = Text.Key(command.Manifest.Application);
        var mine = await session.Query<Application>().Where(a => a.OwnerId == command.OwnerId && !a.Deleted).ToListAsync(ct);
        return mine.FirstOrDefault(a => Text.Key(a.Name) == key);
    }

    /// <summary>Each service's startup script and archive (file ids), as ServiceFilesView has them.</summary>
    public static async Task<IReadOnlyDictionary<Guid, IReadOnlyDictionary<ServiceFileKind, Guid>>> CurrentFiles(
        IQuerySession session, IEnumerable<Guid> serviceIds, CancellationToken ct)
    {
        var ids = serviceIds.ToList();
        if (ids.Count == 0) return ManifestFiles.None.Current;
        var views = await session.LoadManyAsync<ServiceFilesView>(ct, ids);
        return views.ToDictionary(v => v.Id, v => (IReadOnlyDictionary<ServiceFileKind, Guid>)v.Files.ToDictionary(f => f.Key, f => f.Value.FileId));
    }

    /// <summary>Every problem, each with its path in the manifest, in extensions.problems.</summary>
    public static DomainError Refusal(IReadOnlyList<ManifestProblem> problems) =>
        new(ErrorCode.INVALID_INPUT, "The manifest was not applied: " + string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}")), "manifest")
        {
            Extensions = new Dictionary<string, object?>
            {
                ["problems"] = problems.Select(p => new Dictionary<string, object?>
                    { ["path"] = p.Path, ["message"] = p.Message, ["code"] = p.Code.ToString() }).ToList(),
            },
        };
}
