using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

public sealed class ApplicationTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task applications_are_created_listed_renamed_and_deleted_by_name()
    {
        var ann = await director.NewUser();
        Assert.Equal("No existing applications.\n", (await ann.Ok("app", "list")).Out);

        Assert.StartsWith("Application 'shop' created (id ", (await ann.Ok("app", "create", "shop")).Out);
        await ann.Ok("app", "create", "blog");
        Assert.Equal(["shop", "blog"], (await ann.Ok("app", "list")).Column("NAME"));

        Assert.Equal("Application 'blog' renamed to 'journal'\n", (await ann.Ok("app", "rename", "blog", "journal")).Out);
        Assert.Equal(["shop", "journal"], (await ann.Ok("app", "list")).Column("NAME"));

        Assert.Equal("Application 'shop' deleted\n", (await ann.Ok("app", "delete", "shop")).Out);
        Assert.Equal(["journal"], (await ann.Ok("app", "list")).Column("NAME"));
    }

    [Fact]
    public async Task json_output_is_the_apis_data_and_an_id_names_an_application_too()
    {
        var ann = await director.NewUser();
        var created = (await ann.Json("app", "create", "shop"))["createApplication"]!;
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("shop", created["name"]!.GetValue<string>());

        await ann.Ok("app", "rename", id, "store");
        var listed = (await ann.Json("app", "list"))["applications"]!.AsArray();
        Assert.Equal(id, Assert.Single(listed)!["id"]!.GetValue<string>());
        Assert.Equal("store", listed[0]!["name"]!.GetValue<string>());
        Assert.Empty(listed[0]!["services"]!.AsArray());
    }

    [Fact]
    public async Task an_unknown_application_name_or_id_is_refused_as_cps_tools_did()
    {
        var ann = await director.NewUser();
        await ann.Fails(1, "error: Unknown application name 'nope' (NOT_FOUND)", "app", "delete", "nope");
        var id = Guid.NewGuid().ToString();
        await ann.Fails(1, $"error: Unknown application id {id} (NOT_FOUND)", "app", "rename", id, "x");
    }

    [Fact]
    public async Task someone_elses_application_is_unknown_by_name()
    {
        var ann = await director.NewUser();
        var bob = await director.NewUser();
        await ann.Ok("app", "create", "private");
        await bob.Fails(1, "error: Unknown application name 'private' (NOT_FOUND)", "app", "delete", "private");
        Assert.Equal(["private"], (await ann.Ok("app", "list")).Column("NAME"));
    }

    [Fact]
    public async Task a_taken_name_is_refused_with_the_directors_message()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        var refused = await ann.Fails(1, "(CONFLICT)", "app", "create", "shop");
        Assert.Contains("already taken", refused.Err);
        Assert.Empty(refused.Out);
    }

    [Fact]
    public async Task quiet_leaves_out_confirmations_but_not_what_was_asked_for()
    {
        var ann = await director.NewUser();
        Assert.Equal("", (await ann.Ok("app", "create", "shop", "--quiet")).Out);
        Assert.Equal("", (await ann.Ok("app", "rename", "shop", "store", "-q")).Out);
        Assert.Equal(["store"], (await ann.Ok("app", "list", "--quiet")).Column("NAME"));
        Assert.Equal("store2", (await ann.Json("app", "rename", "store", "store2", "--quiet"))["renameApplication"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task applications_need_a_login()
    {
        var stranger = director.NewShell();
        var refused = await stranger.Fails(1, "(UNAUTHENTICATED)", "app", "list", "--director", director.BaseAddress.ToString());
        Assert.Contains("hint: sign in with 'cps login USER'", refused.Err);
    }
}
