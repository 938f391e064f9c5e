using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Manifests;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>"Deploy from manifest" on the applications page, in a real browser: check (dry run), apply, nothing left to do.</summary>
public sealed class DashboardManifestTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task a_pasted_manifest_is_checked_then_applied_and_a_bad_one_shows_every_problem()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        var text = page.GetByLabel("Manifest", new() { Exact = true });
        var check = page.GetByRole(AriaRole.Button, new() { Name = "Check (dry run)" });
        var apply = page.GetByRole(AriaRole.Button, new() { Name = "Apply" });

        await text.FillAsync("{\"Application\": ");
        await check.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Not valid JSON");

        await text.FillAsync("""{"Services": [{"Type": "tomcat"}, {"Type": "php", "Archive": "site.tar.gz"}]}""");
        await check.ClickAsync();
        var problems = page.GetByRole(AriaRole.List, new() { Name = "Problems" }).GetByRole(AriaRole.Listitem);
        await Expect(problems).ToHaveCountAsync(3);
        await Expect(problems.Nth(0)).ToContainTextAsync("$.Application Missing required field: 'Application'");
        await Expect(problems.Nth(2)).ToContainTextAsync("$.Services[1].Archive 'Archive' is not supported");

        await text.FillAsync(ManifestTests.Example("helloworld.json").ToJsonString());
        await Expect(apply).ToBeDisabledAsync();
        await check.ClickAsync();
        var plan = page.GetByTestId("manifest-plan");
        await Expect(plan).ToContainTextAsync("Applying would:");
        await Expect(plan.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(3);
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Applications" })).ToHaveCountAsync(0);

        await apply.ClickAsync();
        await Expect(plan).ToContainTextAsync("Applied (manifest ");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Applications" })).ToContainTextAsync("greeter");

        await check.ClickAsync();
        await Expect(plan).ToContainTextAsync("Nothing to do: hello is as the manifest says.");
        await DashboardApp.Screenshot(page, "manifest");
        await DashboardTourTests.AssertAccessible(page, "/ with a manifest");
    }
}
