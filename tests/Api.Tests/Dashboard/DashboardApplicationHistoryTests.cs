using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>An application's history and time travel, in a real browser.</summary>
public sealed class DashboardApplicationHistoryTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task the_application_as_it_was_before_its_service_was_added()
    {
        var user = await app.NewUser();
        var appId = (await user.Ok("mutation { createApplication(name: \"shop\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\", name: \"web\") { id } }", new { a = appId });

        var page = await app.SignedIn(user);
        await page.GotoAsync($"/apps/{appId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "History and time travel" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "History of shop" })).ToBeVisibleAsync();
        var then = page.Locator("[data-snapshot=then]");
        await Expect(then).ToContainTextAsync("web");
        await page.GetByRole(AriaRole.Slider).FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await Expect(then).ToContainTextAsync("No service.");
        await Expect(page.Locator("[data-snapshot=now]")).ToContainTextAsync("web");
        await DashboardApp.Screenshot(page, "application-history");
        await DashboardTourTests.AssertAccessible(page, "application history");

        // Someone else's application's history is "Not found", like the application.
        var stranger = await app.SignedIn(await app.NewUser());
        await stranger.GotoAsync($"/apps/{appId}/history");
        await Expect(stranger.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
    }
}
