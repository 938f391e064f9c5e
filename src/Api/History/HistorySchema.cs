using Conpaas.Api.GraphQL;
using GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.History;

public sealed class HistoryEventType : ObjectGraphType<HistoryEvent>
{
    public HistoryEventType()
    {
        Name = "HistoryEvent";
        Field<NonNullGraphType<LongGraphType>>("sequence").Description("Global position in the event log; use it as a resume point.")
            .Resolve(c => c.Source.Sequence);
        Field<NonNullGraphType<IdGraphType>>("streamId").Resolve(c => c.Source.StreamId);
        Field<NonNullGraphType<IntGraphType>>("version").Resolve(c => (int)c.Source.Version);
        Field<NonNullGraphType<StringGraphType>>("type").Description("Event type, e.g. \"ServiceAdded\".").Resolve(c => c.Source.Type);
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.At);
        Field<NonNullGraphType<StringGraphType>>("actor").Description("User name that caused it, or \"system\".").Resolve(c => c.Source.Actor);
        Field<StringGraphType>("correlationId").Resolve(c => c.Source.CorrelationId);
        Field<NonNullGraphType<JsonScalar>>("data").Resolve(c => c.Source.Data);
        Field<StringGraphType>("manifestDigest").Description("The digest of the manifest whose apply caused it (applyManifest), else null.")
            .Resolve(c => c.Source.ManifestDigest);
    }
}

public sealed class HistoryPageType : ObjectGraphType<HistoryPage>
{
    public HistoryPageType()
    {
        Name = "HistoryPage";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<HistoryEventType>>>>("events").Resolve(c => c.Source.Events);
        Field<StringGraphType>("nextCursor").Resolve(c => c.Source.NextCursor);
    }
}

public sealed class AuditFilterType : InputObjectGraphType
{
    public AuditFilterType()
    {
        Name = "AuditFilter";
        Field<StringGraphType>("username");
        Field<IdGraphType>("applicationId");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("types");
        Field<DateTimeScalar>("from");
        Field<DateTimeScalar>("to");
    }

    public static AuditFilter? Read(IResolveFieldContext c)
    {
        if (!c.HasArgument("filter") || c.GetArgument<Dictionary<string, object?>?>("filter") is not { } f) return null;
        return new AuditFilter(
            f.GetValueOrDefault("username") as string,
            f.GetValueOrDefault("applicationId") is { } app ? Ids.Parse(app.ToString(), "applicationId") : null,
            (f.GetValueOrDefault("types") as IEnumerable<object?>)?.Select(t => t!.ToString()!).ToList(),
            f.GetValueOrDefault("from") as DateTimeOffset?,
            f.GetValueOrDefault("to") as DateTimeOffset?);
    }
}

public static class HistorySchema
{
    public static void AddHistoryQueries(this ObjectGraphType query)
    {
        query.Field<NonNullGraphType<HistoryPageType>>("history")
            .Description("Events of one user, application, service or VM stream the caller may see, oldest first.")
            .Argument<NonNullGraphType<IdGraphType>>("entityId")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 100)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c => await c.Get<HistoryQueries>().Stream(Ids.Parse(c.GetArgument<string>("entityId"), "entityId"),
                c.GetArgument("first", 100), c.GetArgument<string?>("after"), c.CancellationToken));
        query.Field<NonNullGraphType<HistoryPageType>>("auditLog")
            .Description("Administrators: every event; users: the events of their own streams.")
            .Argument<AuditFilterType>("filter")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 100)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c => await c.Get<HistoryQueries>().Audit(AuditFilterType.Read(c),
                c.GetArgument("first", 100), c.GetArgument<string?>("after"), c.CancellationToken));
    }
}
