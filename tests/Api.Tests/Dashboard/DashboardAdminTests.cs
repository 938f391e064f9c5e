using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>The administration page in a real browser: for administrators only.</summary>
public sealed class DashboardAdminTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task an_administrator_grants_credit_and_the_users_header_changes_live()
    {
        var user = await app.NewUser();
        var userPage = await app.SignedIn(user);
        await Expect(userPage.GetByTestId("credit")).ToContainTextAsync("50 credits");

        var admin = await AdminPage();
        var row = admin.Locator($"tr[data-user='{user.Username}']");
        await Expect(row.GetByTestId("user-credit")).ToHaveTextAsync("50");
        await row.GetByLabel($"Amount for {user.Username}").FillAsync("25");
        await row.GetByLabel($"Reason for {user.Username}").FillAsync("course project");
        await row.GetByRole(AriaRole.Button, new() { Name = "Grant" }).ClickAsync();
        await Expect(row.GetByTestId("user-credit")).ToHaveTextAsync("75");
        await Expect(userPage.GetByTestId("credit")).ToContainTextAsync("75 credits");

        // Taking credit away, and the grant in the audit log filtered by event type.
        await row.GetByLabel($"Amount for {user.Username}").FillAsync("-5");
        await row.GetByLabel($"Reason for {user.Username}").FillAsync("correction");
        await row.GetByRole(AriaRole.Button, new() { Name = "Grant" }).ClickAsync();
        await Expect(userPage.GetByTestId("credit")).ToContainTextAsync("70 credits");
        await admin.GetByLabel("User", new() { Exact = true }).FillAsync(user.Username!);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var audit = admin.GetByRole(AriaRole.Table, new() { Name = "Audit log" });
        await Expect(audit.Locator("tbody tr").Filter(new() { HasText = "admin" })).Not.ToHaveCountAsync(0);
        await Expect(admin.GetByRole(AriaRole.Table, new() { Name = "Clouds" })).ToContainTextAsync("healthy");
        await DashboardApp.Screenshot(admin, "admin");
        await DashboardTourTests.AssertAccessible(admin, "/admin");
    }

    [Fact]
    public async Task a_normal_user_never_sees_the_administration_page()
    {
        var page = await app.SignedIn(await app.NewUser());
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Credits" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Administration" })).ToHaveCountAsync(0);
        await page.GotoAsync("/admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administration" })).ToHaveCountAsync(0);
    }

    private async Task<IPage> AdminPage()
    {
        var page = await app.SignedInAdmin();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Administration" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administration" })).ToBeVisibleAsync();
        return page;
    }
}
