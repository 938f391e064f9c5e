using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>Usernames and application names are one name whatever their Unicode composition or letter case.</summary>
public sealed class NameNormalisationTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Composed = "caf\u00e9";
    private const string Decomposed = "cafe\u0301";

    [Theory]
    [InlineData(Composed, Decomposed)]
    [InlineData(Decomposed, Composed)]
    [InlineData("APP", "app")]
    [InlineData("Shop", "sHOP")]
    [InlineData("CAF\u00c9", Decomposed)]
    public async Task an_application_name_differing_only_in_composition_or_case_is_taken(string first, string second)
    {
        var user = await ServiceScenario.ForNewUser(app);
        await user.CreateApplication(first);

        var error = await user.Client.RefusedAndNothingAppended(app, "CONFLICT", Ops.CreateApplication, new { name = second, key = (string?)null });
        Assert.Equal("name", error.Field());

        var other = await user.CreateApplication("other");
        var renamed = await user.Client.RefusedAndNothingAppended(app, "CONFLICT", Ops.RenameApplication,
            new { id = other.Str("id"), name = second, v = (int?)null });
        Assert.Equal("name", renamed.Field());
    }

    [Fact]
    public async Task a_stored_name_keeps_the_users_spelling_in_composed_form()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var created = await user.CreateApplication("My " + Decomposed);
        Assert.Equal("My " + Composed, created.Str("name"));

        // Renaming to another case of its own name is allowed, and shown as written.
        var renamed = (await user.Client.Ok(Ops.RenameApplication, new { id = created.Str("id"), name = "MY CAF\u00c9", v = (int?)null }))["renameApplication"]!;
        Assert.Equal("MY CAF\u00c9", renamed.Str("name"));
    }

    [Fact]
    public async Task two_users_may_each_have_an_application_of_the_same_name()
    {
        var ann = await ServiceScenario.ForNewUser(app);
        var bob = await ServiceScenario.ForNewUser(app);
        await ann.CreateApplication("Shared");
        Assert.Equal("shared", (await bob.CreateApplication("shared")).Str("name"));
    }

    [Fact]
    public async Task a_deleted_applications_name_is_free_in_any_case()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var first = await user.CreateApplication("Temp");
        await user.Client.Ok(Ops.DeleteApplication, new { id = first.Str("id") });
        Assert.Equal("TEMP", (await user.CreateApplication("TEMP")).Str("name"));
    }

    [Fact]
    public async Task a_username_registered_with_capitals_signs_in_in_any_case_and_cannot_be_taken_again()
    {
        var name = "Ann" + Guid.NewGuid().ToString("N")[..6];
        var client = app.Client();
        const string register = "mutation($input: RegisterInput!) { register(input: $input) { id } }";
        await client.Ok(register, new { input = new { username = name, email = $"{name}@example.org", password = "s3cret-pass" } });

        await app.Client().SignIn(name.ToLowerInvariant(), "s3cret-pass");
        await app.Client().SignIn(name.ToUpperInvariant(), "s3cret-pass");

        var taken = await client.RefusedAndNothingAppended(app, "CONFLICT", register,
            new { input = new { username = name.ToUpperInvariant(), email = $"other-{name}@example.org", password = "s3cret-pass" } });
        Assert.Equal("username", taken.Field());
    }

    [Fact]
    public async Task a_username_in_decomposed_form_is_the_composed_one()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var client = app.Client();
        const string register = "mutation($input: RegisterInput!) { register(input: $input) { id } }";
        await client.Ok(register, new { input = new { username = "zo\u00eb" + suffix, email = $"zoe{suffix}@example.org", password = "s3cret-pass" } });

        await app.Client().SignIn("zoe\u0308" + suffix, "s3cret-pass");
        var taken = await client.RefusedAndNothingAppended(app, "CONFLICT", register,
            new { input = new { username = "ZOE\u0308" + suffix, email = $"zoe2{suffix}@example.org", password = "s3cret-pass" } });
        Assert.Equal("username", taken.Field());
    }
}
