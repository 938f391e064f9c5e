using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps app show (ConPaaS application get_info), now and --as-of a past time.</summary>
public sealed class AppShowTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task app_show_lists_services_and_network_and_as_of_shows_the_application_as_it_was()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");
        await Task.Delay(1100, TestContext.Current.CancellationToken); // the past moment must be strictly between the two states
        var before = DateTimeOffset.UtcNow.ToString("O");
        await Task.Delay(1100, TestContext.Current.CancellationToken);
        await ann.Ok("app", "rename", "shop", "store");
        await ann.Ok("service", "add", "helloworld", "-a", "store", "--name", "api");

        var now = await ann.Ok("app", "show", "store");
        Assert.Equal("store", now.Field("name"));
        Assert.Equal(ann.Username, now.Field("owner"));
        var services = now.Out[now.Out.IndexOf("SID", StringComparison.Ordinal)..];
        Assert.Equal(["web", "api"], new CpsResult(0, services, "").Column("SERVICE"));
        Assert.Equal(["INIT", "INIT"], new CpsResult(0, services, "").Column("STATE"));

        var then = await ann.Ok("app", "show", "store", "--as-of", before);
        Assert.Equal("shop", then.Field("name"));
        Assert.Equal(before, then.Field("as of"));
        Assert.Equal(["web"], new CpsResult(0, then.Out[then.Out.IndexOf("SID", StringComparison.Ordinal)..], "").Column("SERVICE"));

        var json = await ann.Json("app", "show", "store", "--as-of", before);
        Assert.Equal("shop", json["application"]!["name"]!.GetValue<string>());
        await ann.Fails(2, "error: --as-of: 'last week' is not a time", "app", "show", "store", "--as-of", "last week");
    }
}
