using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.Hosting;

/// <summary>The check verb's report for administrators: the running Director's view of its database, CA, clouds and settings.</summary>
public static class CheckSchema
{
    public static void AddCheckQueries(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<CheckResultGraphType>>>>("directorCheck")
            .Description("Administrators only: what `dotnet Conpaas.Api.dll check` reports (settings aside: a running Director has passed them).")
            .ResolveAsync(async c =>
            {
                c.Get<Caller>().RequireAdmin();
                return await CheckCommand.Run(c.RequestServices!, settings: false);
            });
}

public sealed class CheckStatusGraphType : EnumerationGraphType<CheckStatus> { public CheckStatusGraphType() => Name = "CheckStatus"; }

public sealed class CheckResultGraphType : ObjectGraphType<CheckResult>
{
    public CheckResultGraphType()
    {
        Name = "CheckResult";
        Field<NonNullGraphType<CheckStatusGraphType>>("status").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("cause").Resolve(c => c.Source.Cause);
        Field<StringGraphType>("fix").Resolve(c => c.Source.Fix);
    }
}
