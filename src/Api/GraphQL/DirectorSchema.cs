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
        Field<NonNullGraphType<StringGraphType>>("contractVersion").Description(DirectorVersion.ContractDescription)
            .Resolve(_ => DirectorVersion.Contract);
        Certificates.CertificateListing.AddCertificateQueries(this);
        this.AddIdentityQueries();
        this.AddServiceQueries();
        this.AddHistoryQueries();
        this.AddCreditQueries();
        Manifests.ManifestSchema.AddManifestQueries(this);
        Identity.Sso.SsoSchema.AddSsoQueries(this);
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
        Manifests.ManifestSchema.AddManifestMutations(this);
        Identity.Sso.SsoSchema.AddSsoMutations(this);
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
    /// <summary>The version of docs/contract/api.graphql this Director serves; cps warns when it is newer than its own.</summary>
    public const string Contract = "1.1";

    public const string ContractDescription =
        "MAJOR.MINOR of the API contract, no sign-in needed: MINOR grows when fields are added, MAJOR when one changes or goes.";

    public static readonly string Value =
        typeof(DirectorVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
