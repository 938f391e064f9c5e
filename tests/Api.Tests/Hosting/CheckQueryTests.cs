using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>The check verb's report through the API: administrators only.</summary>
public sealed class CheckQueryTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Check = "{ directorCheck { status name cause fix } }";

    [Fact]
    public async Task an_administrator_gets_the_report_and_others_are_refused()
    {
        var admin = await app.Admin();
        var user = await app.NewUser();

        var report = (await admin.Ok(Check))["directorCheck"]!.AsArray();

        Assert.Contains(report, r => (string?)r!["name"] == "schema" && (string?)r["status"] == "OK");
        Assert.Contains(report, r => (string?)r!["name"] == "database" && (string?)r["status"] == "OK");
        Assert.Contains(report, r => ((string?)r!["name"])!.StartsWith("cloud '", StringComparison.Ordinal));
        Assert.DoesNotContain(report, r => (string?)r!["name"] == "settings");
        await user.Fails("FORBIDDEN", Check);
        await app.Client().Fails("UNAUTHENTICATED", Check);
    }
}
