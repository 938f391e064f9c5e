using Conpaas.Api.Credits;
using Conpaas.Api.History;
using Conpaas.Api.Identity;
using Conpaas.Api.Services;
using GraphQL.Types;

namespace Conpaas.Api.GraphQL;

public sealed class DirectorQuery : ObjectGraphType
{
    public DirectorQuery()
    {
        Name = "Query";
        Field<NonNullGraphType<StringGraphType>>("version").Description("Director version, no sign-in needed.")
            .Resolve(_ => DirectorVersion.Value);
        this.AddIdentityQueries();
        this.AddServiceQueries();
        this.AddHistoryQueries();
        this.AddCreditQueries();
        Hosting.CheckSchema.AddCheckQueries(this);
        Files.FileSchema.AddFileQueries(this);
    }
}

public sealed class DirectorMutation : ObjectGraphType
{
    public DirectorMutation()
    {
        Name = "Mutation";
        this.AddIdentityMutations();
        this.AddServiceMutations();
        Certificates.CertificateSchema.AddCertificateMutations(this);
        this.AddCreditMutations();
        Files.FileSchema.AddFileMutations(this);
    }
}

public sealed class DirectorSchema : Schema
{
    public DirectorSchema(IServiceProvider services, DirectorQuery query, DirectorMutation mutation, Subscriptions.DirectorSubscription subscription)
        : base(services)
    {
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        RegisterTypeMapping(typeof(DateTimeOffset), typeof(DateTimeScalar));
    }
}

public static class DirectorVersion
{
    public static readonly string Value =
        typeof(DirectorVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
