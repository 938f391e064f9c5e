using Conpaas.Domain.Applications;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Files;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Manifests;

public enum ManifestAction
{
    CREATE_APPLICATION, RENAME_APPLICATION, ADD_SERVICE, RENAME_SERVICE, START_SERVICE, STOP_SERVICE, ADD_NODES, REMOVE_NODES,
    REMOVE_SERVICE, SET_SERVICE_FILE,
}

/// <summary>What a plan knows of files: the owner's uploaded files, and each service's file id per kind now.</summary>
public sealed record ManifestFiles(IReadOnlyList<OwnedFile> Owned, IReadOnlyDictionary<Guid, IReadOnlyDictionary<ServiceFileKind, Guid>> Current)
{
    public static readonly ManifestFiles None = new([], new Dictionary<Guid, IReadOnlyDictionary<ServiceFileKind, Guid>>());
}

/// <summary>One thing an apply does; Path is the manifest entry it comes from ($ for the application).</summary>
public sealed record ManifestStep(ManifestAction Action, string Path, string? Service, string Description);

/// <summary>
/// What applying a manifest does: the steps, and every event of every stream in order (each step went through the
/// domain's own decision). With problems, nothing may be written. No steps: the application already is as described.
/// </summary>
public sealed record ManifestPlan(
    Guid ApplicationId, IReadOnlyList<ManifestStep> Steps, IReadOnlyList<StreamEvent> Events, IReadOnlyList<ManifestProblem> Problems)
{
    public bool IsRefused => Problems.Count > 0;
}

/// <summary>The pure planner: current state + manifest → steps, by the same decisions the single mutations use.</summary>
public static class ManifestPlanner
{
    /// <param name="app">The caller's application the manifest names (by ApplicationId, else by name), or null: it is created.</param>
    /// <param name="services">Its services (removed ones are ignored).</param>
    /// <param name="files">Needed only when the manifest names files (StartupScript, Archive).</param>
    public static ManifestPlan Plan(Manifest manifest, Application? app, IReadOnlyList<Service> services, Guid ownerId, Guid newApplicationId,
        ServiceContext ctx, ManifestFiles? files = null)
    {
        var run = new Run(ctx, files ?? ManifestFiles.None);
        // Steps are played forward on copies: the caller's aggregates may be the ones its store updates on commit.
        app = app?.Copy();
        services = services.Select(s => s.Copy()).ToList();
        if (manifest.ApplicationId is { } wanted && app?.Id != wanted)
            run.Problem(new("$.ApplicationId", ApplicationDecisions.NotFound(wanted).Message, ErrorCode.NOT_FOUND));

        if (app is null)
        {
            var created = ApplicationDecisions.Create(newApplicationId, ownerId, manifest.Application, ctx.Vpn, ctx.Now);
            app = Application.After(null, created.Events[0])!;
            run.Step(ManifestAction.CREATE_APPLICATION, "$", null, $"Create application '{manifest.Application}'", created, app.Id);
        }
        else
            run.Step(ManifestAction.RENAME_APPLICATION, "$.Application", null, $"Rename application '{app.Name}' to '{manifest.Application}'",
                ApplicationDecisions.Rename(app, manifest.Application, null), app.Id, app);

        var live = services.Where(s => s is { Removed: false, RemovalPending: false }).ToList();
        var matched = Match(manifest, live, run);

        // Pruning first: a removed service's subnet may serve a service the manifest adds.
        if (manifest.Prune)
            foreach (var gone in live.Where(s => !matched.ContainsValue(s)))
                run.Step(ManifestAction.REMOVE_SERVICE, "$.prune", gone.Name, $"Remove {gone.Type} service '{gone.Name}' (not in the manifest)",
                    RemoveService.Decide(gone), gone.Id, app, gone);

        foreach (var wantedService in manifest.Services)
            Converge(wantedService, matched.GetValueOrDefault(wantedService), app, run);

        // A started VM costs 1 credit at once and 1 more each full hour: the first hour must be covered.
        var vms = run.Events.Count(e => e.Event is VmRequested);
        if (vms > ctx.OwnerCredit)
            run.Problem(new("$", $"Insufficient credits: the manifest starts {vms} VMs (1 credit each for the first hour) but only {ctx.OwnerCredit} credits are left",
                ErrorCode.INSUFFICIENT_CREDIT));

        return new ManifestPlan(app.Id, run.Steps, run.Events, run.Problems);
    }

    private static Dictionary<ManifestService, Service> Match(Manifest manifest, List<Service> live, Run run)
    {
        var matched = new Dictionary<ManifestService, Service>();
        // Ids first: an exported manifest says which service it means even after a rename.
        foreach (var s in manifest.Services.Where(s => s.Id is not null))
        {
            if (live.FirstOrDefault(l => l.Id == s.Id) is { } service) matched[s] = service;
            else run.Problem(new(s.Path + ".Id", ServiceRules.NotFound(s.Id!).Message, ErrorCode.NOT_FOUND));
        }

        foreach (var s in manifest.Services.Where(s => s.Id is null))
            if (live.FirstOrDefault(l => !matched.ContainsValue(l) && Text.Key(l.Name) == Text.Key(s.Name)) is { } service)
                matched[s] = service;

        foreach (var (s, service) in matched.Where(m => m.Value.Type != m.Key.Type))
            run.Problem(new(s.Path + ".Type", $"Service '{service.Name}' is a {service.Type} service, not {s.Type}: give the new one another ServiceName",
                ErrorCode.CONFLICT));
        return matched;
    }

    private static void Converge(ManifestService wanted, Service? service, Application app, Run run)
    {
        var ctx = run.Context;
        if (wanted.Cloud is not null && ctx.Clouds.CheckKnown(wanted.Cloud, out _) is { } unknownCloud)
            run.Problem(new(wanted.Path + ".Cloud", unknownCloud.Message, unknownCloud.Code));

        if (service is null)
        {
            var id = ctx.NewId();
            var added = AddService.Decide(app, id, wanted.Type, wanted.Name, ctx.Vpn, ctx.Now);
            if (!run.Step(ManifestAction.ADD_SERVICE, wanted.Path, wanted.Name, $"Add {wanted.Type} service '{wanted.Name}'", added, app.Id, app))
                return;
            service = Service.After(null, added.Others.Select(o => o.Event).OfType<ServiceAdded>().Single())!;
        }
        else if (service.Name != wanted.Name)
            run.Step(ManifestAction.RENAME_SERVICE, wanted.Path + ".ServiceName", wanted.Name, $"Rename service '{service.Name}' to '{wanted.Name}'",
                RenameService.Decide(service, wanted.Name, null), service.Id, app, service);

        // Before a start: the VMs it boots get links to the files.
        SetFiles(wanted, service, app, run);

        var running = service.State is ServiceState.PROLOGUE or ServiceState.RUNNING or ServiceState.ADAPTING;
        switch (wanted.Start)
        {
            case false when running || service.State == ServiceState.ERROR:
                run.Step(ManifestAction.STOP_SERVICE, wanted.Path + ".Start", wanted.Name, $"Stop '{wanted.Name}'",
                    StopService.Decide(service), service.Id, app, service);
                return;
            case true when service.State is ServiceState.INIT or ServiceState.STOPPED:
                Start(wanted, service, app, run);
                return;
            case true when service.State is ServiceState.ERROR or ServiceState.EPILOGUE:
                run.Problem(new(wanted.Path + ".Start",
                    $"Service '{service.Name}' is {service.State}: {(service.State == ServiceState.ERROR ? "stop it, then apply again" : "apply again once it is STOPPED")}",
                    ErrorCode.CONFLICT));
                return;
        }

        if (running && wanted.StartupInstances is { } counts) Scale(wanted, service, counts, app, run);
    }

    /// <summary>Start with the type's initial agents, then the extra ones the manifest asks for, in one go.</summary>
    private static void Start(ManifestService wanted, Service service, Application app, Run run)
    {
        var ctx = run.Context;
        var started = StartService.Decide(service, wanted.Cloud, ctx);
        var type = ServiceContext.TypeOf(service);
        var extra = (wanted.StartupInstances ?? new Dictionary<string, int>())
            .Select(c => (Role: c.Key, Count: c.Value - type.Role(c.Key)!.InitialCount)).Where(c => c.Count > 0).ToList();
        var cloud = started.Events.OfType<ServiceStartRequested>().FirstOrDefault()?.Cloud ?? CloudsDefault;
        var counts = string.Join(", ", type.Roles.Select(r => $"{r.Name}={Math.Max(r.InitialCount, wanted.StartupInstances?.GetValueOrDefault(r.Name) ?? 0)}"));
        if (!run.Step(ManifestAction.START_SERVICE, wanted.Path + ".Start", wanted.Name, $"Start '{wanted.Name}' on cloud '{cloud}' with {counts}",
                started, service.Id, app, service) || extra.Count == 0)
            return;

        // Scale-requested nodes during PROLOGUE raise the desired counts; the service is RUNNING once all are ready.
        var more = ServiceRules.RequestNodes(service, NodeRequestReason.Scale,
            extra.SelectMany(e => Enumerable.Repeat(new ServiceRules.Wanted(VmRole.AGENT, e.Role, cloud), e.Count)).ToList(), ctx);
        run.Also(wanted.Path + ".StartupInstances", more, service.Id, app, service);
    }

    private const string CloudsDefault = Clouds.CloudDirectory.Default;

    private static void Scale(ManifestService wanted, Service service, IReadOnlyDictionary<string, int> counts, Application app, Run run)
    {
        var diffs = counts.Select(c => (Role: c.Key, Diff: c.Value - service.DesiredCounts.GetValueOrDefault(c.Key)))
            .Where(d => d.Diff != 0).ToList();
        if (diffs.Count == 0) return;
        if (service.State != ServiceState.RUNNING)
        {
            run.Problem(new(wanted.Path + ".StartupInstances",
                $"Service '{service.Name}' is {service.State}: its nodes can change once it is RUNNING; apply again then", ErrorCode.CONFLICT));
            return;
        }

        var path = wanted.Path + ".StartupInstances";
        var up = diffs.Where(d => d.Diff > 0).Select(d => new NodeCount(d.Role, d.Diff, null)).ToList();
        var down = diffs.Where(d => d.Diff < 0).Select(d => new NodeCount(d.Role, -d.Diff, null)).ToList();
        if (down.Count > 0)
            run.Step(ManifestAction.REMOVE_NODES, path, wanted.Name, $"Remove {Describe(down)} from '{wanted.Name}'",
                RemoveNodes.Decide(service, down, null, run.Context.Clouds), service.Id, app, service);
        if (up.Count > 0)
            run.Step(ManifestAction.ADD_NODES, path, wanted.Name, $"Add {Describe(up)} to '{wanted.Name}'",
                AddNodes.Decide(service, up, null, run.Context), service.Id, app, service);
    }

    private static void SetFiles(ManifestService wanted, Service service, Application app, Run run)
    {
        foreach (var (kind, reference) in wanted.Files ?? new Dictionary<ServiceFileKind, string>())
        {
            var path = $"{wanted.Path}.{ManifestParser.FileKeys[kind]}";
            if (Resolve(reference, path, run) is not { } file) continue;
            Guid? current = run.Files.Current.TryGetValue(service.Id, out var now) && now.TryGetValue(kind, out var id) ? id : null;
            var what = kind == ServiceFileKind.STARTUP_SCRIPT ? "startup script" : "code archive";
            run.Step(ManifestAction.SET_SERVICE_FILE, path, wanted.Name, $"Make file '{file.Name}' ({file.Id}) the {what} of '{wanted.Name}'",
                ServiceFiles.Set(service, kind, file, current), service.Id, app, service);
        }
    }

    /// <summary>An id, or a name that exactly one of the owner's files has.</summary>
    private static OwnedFile? Resolve(string reference, string path, Run run)
    {
        if (Guid.TryParse(reference, out var id))
        {
            var byId = run.Files.Owned.FirstOrDefault(f => f.Id == id);
            if (byId is null) run.Problem(new(path, FileRules.NotFound(id).Message, ErrorCode.NOT_FOUND));
            return byId;
        }

        var named = run.Files.Owned.Where(f => f.Name == reference).Take(2).ToList();
        switch (named.Count)
        {
            case 1:
                return named[0];
            case 0:
                run.Problem(new(path, $"You have no uploaded file named '{Text.Quote(reference)}': upload it first (uploadFile), or give its id",
                    ErrorCode.NOT_FOUND));
                return null;
            default:
                run.Problem(new(path, $"Several of your files are named '{Text.Quote(reference)}': ambiguous, use the id (the files query lists them)"));
                return null;
        }
    }

    private static string Describe(IEnumerable<NodeCount> nodes) =>
        string.Join(", ", nodes.Select(n => $"{n.Count} {n.Role} node{(n.Count == 1 ? "" : "s")}"));

    /// <summary>The plan being built: decisions are played forward on the in-memory aggregates so that later steps see earlier ones.</summary>
    private sealed class Run(ServiceContext ctx, ManifestFiles files)
    {
        public ServiceContext Context { get; } = ctx;
        public ManifestFiles Files { get; } = files;
        public List<ManifestStep> Steps { get; } = [];
        public List<StreamEvent> Events { get; } = [];
        public List<ManifestProblem> Problems { get; } = [];

        public void Problem(ManifestProblem problem) => Problems.Add(problem);

        /// <summary>Records an accepted decision that does something as a step; false when refused (the problem is recorded).</summary>
        public bool Step(ManifestAction action, string path, string? service, string description, Decision decision, Guid target,
            Application? app = null, Service? aggregate = null) =>
            Take(new ManifestStep(action, path, service, description), path, decision, target, app, aggregate);

        /// <summary>A decision that belongs to the previous step (the extra nodes of a start).</summary>
        public bool Also(string path, Decision decision, Guid target, Application app, Service aggregate) =>
            Take(null, path, decision, target, app, aggregate);

        private bool Take(ManifestStep? step, string path, Decision decision, Guid target, Application? app, Service? aggregate)
        {
            if (decision.Error is { } error)
            {
                Problems.Add(new(path, error.Message, error.Code));
                return false;
            }

            if (decision.Events.Count == 0 && decision.Others.Count == 0) return true;
            if (step is not null) Steps.Add(step);
            foreach (var e in decision.Events) Record(new StreamEvent(target, e), app, aggregate);
            // As the decision made them: a stream the decision begins keeps the aggregate type it declared.
            foreach (var other in decision.Others) Record(other, app, aggregate);
            return true;
        }

        private void Record(StreamEvent e, Application? app, Service? service)
        {
            Events.Add(e);
            if (app is not null && e.StreamId == app.Id) Application.After(app, e.Event);
            if (service is not null && e.StreamId == service.Id) Service.After(service, e.Event);
        }
    }
}
