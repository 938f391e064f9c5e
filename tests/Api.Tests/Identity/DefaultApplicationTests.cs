using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>Issue 15's "Also": a new user gets an application to put services in, as ConPaaS gave one.</summary>
/// <summary>The setting as shipped (on), which DirectorApp switches off for the other tests.</summary>
public sealed class DefaultApplicationApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Director:CreateDefaultApplication"] = "true" };
}

public sealed class DefaultApplicationTests(DefaultApplicationApp app) : IClassFixture<DefaultApplicationApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_new_user_has_the_default_application_created_in_the_registrations_commit()
    {
        var user = await app.NewUser();

        var applications = (await user.Ok("{ me { id } applications { id name version services { id } } }"));
        var only = Assert.Single(applications.Items("applications"));
        Assert.Equal("default", only.Str("name"));
        Assert.Equal(1, only.Int("version"));
        Assert.Empty(only.Items("services"));

        // One commit: the registration and the application carry the same request's correlation id and actor.
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var registered = (await session.Events.FetchStreamAsync(Guid.Parse(applications["me"]!.Str("id")), token: Ct))[0];
        var created = Assert.Single(await session.Events.FetchStreamAsync(Guid.Parse(only.Str("id")), token: Ct));
        Assert.Equal(registered.CorrelationId, created.CorrelationId);
        Assert.Equal(registered.UserName, created.UserName);
    }

    [Fact]
    public async Task services_go_into_the_default_application_like_into_any_other()
    {
        var user = await app.NewUser();
        var id = Assert.Single((await user.Ok("{ applications { id } }")).Items("applications")).Str("id");

        var added = await user.Ok("""
            mutation($a: ID!) { addService(applicationId: $a, type: "helloworld") { sid application { name } } }
            """, new { a = id });

        Assert.Equal(1, added["addService"]!.Int("sid"));
        Assert.Equal("default", added["addService"]!["application"]!.Str("name"));
    }
}

public sealed class NamedDefaultApplicationApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Director:CreateDefaultApplication"] = "true", ["Director:DefaultApplicationName"] = "  My projects " };
}

public sealed class NamedDefaultApplicationTests(NamedDefaultApplicationApp app) : IClassFixture<NamedDefaultApplicationApp>
{
    [Fact]
    public async Task the_operator_names_it_and_the_name_is_normalised_like_any_application_name()
    {
        var user = await app.NewUser();

        var only = Assert.Single((await user.Ok("{ applications { name } }")).Items("applications"));
        Assert.Equal("My projects", only.Str("name"));
    }
}

public sealed class NoDefaultApplicationApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Director:CreateDefaultApplication"] = "false" };
}

public sealed class NoDefaultApplicationTests(NoDefaultApplicationApp app) : IClassFixture<NoDefaultApplicationApp>
{
    [Fact]
    public async Task switched_off_a_new_user_has_no_application()
    {
        var user = await app.NewUser();

        Assert.Empty((await user.Ok("{ applications { id } }")).Items("applications"));
    }
}
