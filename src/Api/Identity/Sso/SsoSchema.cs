using Conpaas.Domain;
using GraphQL;
using Conpaas.Api.GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.Identity.Sso;

public sealed class SsoProviderType : ObjectGraphType<KeyValuePair<string, SsoProviderOptions>>
{
    public SsoProviderType()
    {
        Name = "SsoProvider";
        Description = "An OpenID Connect provider users may sign in with (its issuer and client stay on the server).";
        Field<NonNullGraphType<StringGraphType>>("name").Description("For /sso/{name}/start and `cps login --sso {name}`.")
            .Resolve(c => c.Source.Key.ToLowerInvariant());
        Field<NonNullGraphType<StringGraphType>>("displayName").Resolve(c => c.Source.Value.DisplayName is { Length: > 0 } shown ? shown : c.Source.Key);
    }
}

/// <summary>The federated sign-in slice of the contract: ssoProviders, linkSso.</summary>
public static class SsoSchema
{
    public static void AddSsoQueries(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<SsoProviderType>>>>("ssoProviders")
            .Description("The identity providers the sign-in page offers; empty when none is configured.")
            .Resolve(c => c.Get<SsoProviders>().All.OrderBy(p => p.Key, StringComparer.Ordinal).ToList());

    public static void AddSsoMutations(this ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<SessionType>>("ssoLogin")
            .Description("The CLI's end of `cps login --sso`: the one-time code the Director sent to the CLI's loopback address " +
                         "becomes a session, as login's password does. A code works once, for 2 minutes.")
            .Argument<NonNullGraphType<StringGraphType>>("code")
            .ResolveAsync(async c =>
            {
                try
                {
                    return await c.Get<SsoSignIns>().CollectHandoff(c.GetArgument<string>("code"), c.CancellationToken);
                }
                catch (SsoException ex)
                {
                    throw ex.Error.ToException();
                }
            });

        mutation.Field<NonNullGraphType<StringGraphType>>("linkSso")
            .Description("Where the signed-in user's browser goes to link an identity provider to the account (the Director's path " +
                         "/sso/{provider}/start?link=true; it needs the dashboard's session cookie). Afterwards either the password " +
                         "or the provider signs in.")
            .Argument<NonNullGraphType<StringGraphType>>("provider")
            .Resolve(c =>
            {
                c.Get<Caller>().RequireUser();
                var provider = c.GetArgument<string>("provider");
                if (!c.Get<SsoProviders>().All.ContainsKey(provider))
                    throw DomainError.Invalid("provider", $"No identity provider named '{provider}'").ToException();
                return $"/sso/{Uri.EscapeDataString(provider.ToLowerInvariant())}/start?link=true";
            });
    }
}
