using Conpaas.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>
/// The Director with the local cloud at work, and Debian's Chromium driven by Playwright (headless). Playwright's own
/// browser download is never used: the tests need /usr/bin/chromium (.ci/run installs it). It re-implements
/// IAsyncLifetime because DirectorApp's InitializeAsync is not virtual.
/// </summary>
public sealed class DashboardApp : LocalCloudApp, Xunit.IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public new async ValueTask InitializeAsync()
    {
        if (!File.Exists(Path.Combine(FindRepository(), "src/Api/wwwroot/index.html")))
            throw new InvalidOperationException("The dashboard is not built: run scripts/web.sh (test.sh does)");
        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
    }

    /// <summary>A fresh browser (no cookie) on the dashboard, at a desktop or a phone's width.</summary>
    public async Task<IPage> NewPage(int width = 1280, int height = 860)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs a fresh page in through the form, as a person would.</summary>
    public async Task<IPage> SignedIn(GraphQLClient user)
    {
        var page = await NewPage();
        await page.GotoAsync("/");
        await page.GetByLabel("Username").FillAsync(user.Username!);
        await page.GetByLabel("Password").FillAsync("password-" + user.Username);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("username")).ToHaveTextAsync(user.Username!);
        return page;
    }

    /// <summary>A fresh page signed in as the administrator the Director creates at its first start.</summary>
    public async Task<IPage> SignedInAdmin()
    {
        var page = await NewPage();
        await page.GotoAsync("/");
        await page.GetByLabel("Username").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync(AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("username")).ToHaveTextAsync("admin");
        return page;
    }

    /// <summary>Where screenshots go when DASHBOARD_SCREENSHOTS names a folder (docs/screenshots: the README's).</summary>
    public static async Task Screenshot(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_SCREENSHOTS") is not { Length: > 0 } folder) return;
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    private static string FindRepository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Conpaas.Director.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Conpaas.Director.sln not found above " + AppContext.BaseDirectory);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
    }
}
