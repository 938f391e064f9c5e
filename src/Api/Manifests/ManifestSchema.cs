using System.Text.Json;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.Api.Services;
using Conpaas.Domain;
using Conpaas.Domain.Manifests;
using GraphQL;
using GraphQL.Types;
using Wolverine;

namespace Conpaas.Api.Manifests;

/// <summary>Manifests in the contract: applyManifest and manifest(applicationId).</summary>
public static class ManifestSchema
{
    /// <summary>Long enough for the largest plan on a loaded database; an apply is one transaction.</summary>
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>docs/contract/manifest.schema.json, which cps and the dashboard validate a manifest with before sending it.</summary>
    public static void MapManifestJsonSchema(WebApplication app)
    {
        using var stream = typeof(ManifestSchema).Assembly.GetManifestResourceStream("manifest.schema.json")!;
        var schema = new StreamReader(stream).ReadToEnd();
        app.MapGet("/manifest.schema.json", () => Results.Text(schema, "application/schema+json; charset=utf-8"));
    }

    public static void AddManifestQueries(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<JsonScalar>>("manifest")
            .Description("The application's current desired state as a manifest; applying it changes nothing.")
            .Argument<NonNullGraphType<IdGraphType>>("applicationId")
            .ResolveAsync(async c =>
            {
                var reads = c.Get<Reads>();
                var app = await reads.Application(Ids.Parse(c.GetArgument<string>("applicationId"), "applicationId"), null, c.CancellationToken);
                var services = await reads.ServicesOf(app, null).GetResultAsync(c.CancellationToken);
                var files = await ApplyManifestHandler.CurrentFiles(c.Get<Marten.IQuerySession>(), services.Select(s => s.Id), c.CancellationToken);
                return (object?)JsonSerializer.SerializeToElement(ManifestExport.Export(app, services, files));
            });

    public static void AddManifestMutations(this ObjectGraphType mutation) =>
        mutation.Field<NonNullGraphType<ManifestResultType>>("applyManifest")
            .Description("Makes the application and its services what the manifest says (JSON, or its text); dryRun: the plan only.")
            .Argument<NonNullGraphType<JsonScalar>>("manifest")
            .Argument<BooleanGraphType>("dryRun", a => a.DefaultValue = false)
            .ResolveAsync(async c =>
            {
                var caller = c.Get<Caller>();
                var owner = caller.RequireUser();
                var (manifest, problems) = Parse(c.GetArgument<object?>("manifest"));
                if (manifest is null) throw ApplyManifestHandler.Refusal(problems).ToException();
                var applied = await c.Get<IMessageBus>().InvokeAsync<ManifestApplied>(
                    new ApplyManifest(owner.Id, caller.Actor, caller.CorrelationId, manifest, c.GetArgument("dryRun", false)),
                    c.CancellationToken, ApplyTimeout);
                return applied.Plan.IsRefused ? throw ApplyManifestHandler.Refusal(applied.Plan.Problems).ToException() : applied;
            });

    /// <summary>A manifest arrives as JSON (a variable or a literal) or, as the original uploaded it, as JSON text.</summary>
    private static (Manifest?, IReadOnlyList<ManifestProblem>) Parse(object? value) => value switch
    {
        string text => ManifestParser.Parse(text),
        JsonElement e => ManifestParser.Parse(e),
        _ => ManifestParser.Parse(JsonSerializer.SerializeToElement(value)),
    };
}

public sealed class ManifestActionType : EnumerationGraphType<ManifestAction>
{
    public ManifestActionType() => Name = "ManifestAction";
}

public sealed class ManifestStepType : ObjectGraphType<ManifestStep>
{
    public ManifestStepType()
    {
        Name = "ManifestStep";
        Field<NonNullGraphType<ManifestActionType>>("action").Resolve(c => c.Source.Action);
        Field<NonNullGraphType<StringGraphType>>("path").Description("The manifest entry the step comes from, e.g. $.Services[0].").Resolve(c => c.Source.Path);
        Field<StringGraphType>("service").Description("The service's name, for a service step.").Resolve(c => c.Source.Service);
        Field<NonNullGraphType<StringGraphType>>("description").Resolve(c => c.Source.Description);
    }
}

public sealed class ManifestResultType : ObjectGraphType<ManifestApplied>
{
    public ManifestResultType()
    {
        Name = "ManifestResult";
        Field<NonNullGraphType<StringGraphType>>("digest").Description("SHA-256 of the manifest (compact JSON); every event of the apply carries it.")
            .Resolve(c => c.Source.Manifest.Digest);
        Field<NonNullGraphType<BooleanGraphType>>("dryRun").Resolve(c => c.Source.DryRun);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ManifestStepType>>>>("steps")
            .Description("What the apply did (or, on a dry run, would do); empty when the application already is as described.")
            .Resolve(c => c.Source.Plan.Steps);
        Field<ApplicationGraphType>("application").Description("The application after the apply; null after a dry run that would create it.")
            .Resolve(c => c.Source.Application);
    }
}
