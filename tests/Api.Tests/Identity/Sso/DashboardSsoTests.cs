using Microsoft.Playwright;
using Xunit;

namespace Conpaas.Api.Tests.Identity.Sso;

/// <summary>
/// The dashboard's sign-in page with an identity provider, in Debian's Chromium (as Dashboard/ does): the button, the
/// provider's own pages, and the way back, after which the page is signed in by the SameSite=Strict session cookie.
/// </summary>
public sealed class DashboardSsoTests(SsoApp app) : IClassFixture<SsoApp>
{
    [Fact]
    public async Task the_sign_in_page_offers_the_provider_and_its_button_signs_the_browser_in()
    {
        var login = "dash" + Guid.NewGuid().ToString("N")[..8];
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Dashboard.DashboardApp.Chromium,
            Headless = true,
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.Url.ToString() });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test organisation" }).ClickAsync();
        // The provider's own sign-in and consent pages (oidc-provider's development interactions).
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("username")).ToHaveTextAsync(login);
        Assert.StartsWith(app.Url.ToString(), page.Url);
    }
}
