using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>The dashboard in a real browser against the real Director and the local cloud.</summary>
public sealed class DashboardTourTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task a_new_user_does_the_whole_tour_in_the_browser_and_sees_every_change_without_a_reload()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..8];
        var page = await app.NewPage();
        await page.GotoAsync("/");
        await DashboardApp.Screenshot(page, "sign-in");

        // Register: the form signs the new user in.
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an account" }).ClickAsync();
        await page.GetByLabel("Username").FillAsync(name);
        await page.GetByLabel("E-mail").FillAsync($"{name}@example.org");
        await page.GetByLabel("Password").FillAsync("password-" + name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.GetByTestId("username")).ToHaveTextAsync(name);
        await Expect(page.GetByTestId("credit")).ToContainTextAsync("50 credits");
        // Any full page load from here on would drop this marker.
        await page.EvaluateAsync("() => window.sameDocument = true");

        await page.GetByLabel("New application").FillAsync("shop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "shop" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "shop", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Radio, new() { NameRegex = new Regex("^helloworld") }).CheckAsync();
        await page.GetByLabel("Name (optional)").FillAsync("hello");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add service" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "hello" })).ToContainTextAsync("INIT");
        await DashboardApp.Screenshot(page, "application");
        await page.GetByRole(AriaRole.Link, new() { Name = "hello", Exact = true }).ClickAsync();

        // Start: PROLOGUE at once, then RUNNING when the agents report, pushed over the WebSocket.
        var state = page.GetByRole(AriaRole.Heading, new() { Level = 1 }).Locator(".badge");
        await Expect(state).ToHaveTextAsync("INIT");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("PROLOGUE");
        await Expect(state).ToHaveTextAsync("RUNNING", new() { Timeout = 60_000 });
        var nodes = page.Locator("tr[data-vm]");
        var before = await nodes.CountAsync();
        Assert.True(before >= 2, $"a manager and at least one agent, got {before}");
        await Expect(nodes.Filter(new() { HasText = "RUNNING" })).ToHaveCountAsync(before);

        // Scale out by two: the new nodes appear, then run.
        await page.GetByLabel(new Regex("\\(now \\d+\\)")).First.FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Add ") }).First.ClickAsync();
        await Expect(nodes).ToHaveCountAsync(before + 2);
        await Expect(nodes.Filter(new() { HasText = "RUNNING" })).ToHaveCountAsync(before + 2, new() { Timeout = 60_000 });
        await Expect(state).ToHaveTextAsync("RUNNING");
        await DashboardApp.Screenshot(page, "service");

        // Resources: every VM, grouped by application; the credit ledger.
        await MainNav(page, "Resources").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Application shop" }).Locator("tr[data-vm]")).ToHaveCountAsync(before + 2);
        await DashboardApp.Screenshot(page, "resources");
        await MainNav(page, "Credits").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Credit ledger" })).ToContainTextAsync("50");
        await page.GoBackAsync();
        await page.GoBackAsync();

        // Time travel: at the first event the service was just added, in INIT with no node.
        await page.GetByRole(AriaRole.Link, new() { Name = "History and time travel" }).ClickAsync();
        var then = page.Locator("[data-snapshot=then]");
        await Expect(then).ToContainTextAsync("RUNNING");
        await page.GetByRole(AriaRole.Slider).FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await Expect(page.Locator(".moment")).ToContainTextAsync("ServiceAdded");
        await Expect(then.Locator(".badge").First).ToHaveTextAsync("INIT");
        await Expect(page.Locator("[data-snapshot=now]")).ToContainTextAsync("RUNNING");
        await DashboardApp.Screenshot(page, "history");

        // Stop: every node goes, the service is STOPPED.
        await page.GetByRole(AriaRole.Link, new() { Name = "hello" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("STOPPED", new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await page.GetByLabel("New name").FillAsync("hello-again");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("hello-again");
        await MainNav(page, "Applications").ClickAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Applications" })).ToContainTextAsync("STOPPED");
        await DashboardApp.Screenshot(page, "applications");

        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
    }

    [Fact]
    public async Task a_change_made_through_the_api_by_another_client_appears_without_a_reload()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        await Expect(page.GetByText("No application yet")).ToBeVisibleAsync();

        var id = (await user.Ok("mutation { createApplication(name: \"from-script\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "from-script" })).ToBeVisibleAsync();
        await user.Ok("mutation($id: ID!) { renameApplication(id: $id, name: \"renamed\") { id } }", new { id });
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "renamed" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "from-script" })).ToHaveCountAsync(0);

        // And the other way round: renamed inline and deleted (after a confirmation) in the browser, seen by the API.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await page.GetByLabel("New name for renamed").FillAsync("from-browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "from-browser" })).ToBeVisibleAsync();
        Assert.Equal("from-browser", (await user.Ok("query($id: ID!) { application(id: $id) { name } }", new { id }))["application"]!["name"]!.GetValue<string>());
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete" }).ClickAsync();
        await Expect(page.GetByText("No application yet")).ToBeVisibleAsync();
        Assert.Empty((await user.Ok("{ applications { id } }"))["applications"]!.AsArray());
    }

    [Fact]
    public async Task errors_from_the_api_are_shown_next_to_their_field()
    {
        var taken = await app.NewUser();
        var page = await app.NewPage();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create an account" }).ClickAsync();
        await page.GetByLabel("Username").FillAsync(taken.Username!);
        await page.GetByLabel("E-mail").FillAsync("someone-new@example.org");
        await page.GetByLabel("Password").FillAsync("long-enough-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();

        var username = page.GetByLabel("Username");
        await Expect(username).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#field-username-error")).ToHaveTextAsync($"Username '{taken.Username}' is already taken");
        await Expect(page.GetByLabel("E-mail")).ToHaveAttributeAsync("aria-invalid", "false");

        // The same for a signed-in form: an application name already in use.
        await taken.Ok("mutation { createApplication(name: \"twice\") { id } }");
        var signedIn = await app.SignedIn(taken);
        await signedIn.GetByLabel("New application").FillAsync("twice");
        await signedIn.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(signedIn.Locator("#field-name-error")).ToContainTextAsync("already taken");
    }

    [Fact]
    public async Task another_users_objects_are_never_shown()
    {
        var owner = await app.NewUser();
        var appId = (await owner.Ok("mutation { createApplication(name: \"private-stuff\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var serviceId = (await owner.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();

        var page = await app.SignedIn(await app.NewUser());
        await Expect(page.GetByText("No application yet")).ToBeVisibleAsync();
        await page.GotoAsync($"/apps/{appId}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await page.GotoAsync($"/services/{serviceId}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await page.GotoAsync($"/services/{serviceId}/history");
        await Expect(page.GetByRole(AriaRole.Main)).Not.ToContainTextAsync("ServiceAdded");
        Assert.DoesNotContain("private-stuff", await page.ContentAsync());
    }

    [Fact]
    public async Task the_session_survives_a_reload_and_sign_out_ends_it()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        await page.ReloadAsync();
        await Expect(page.GetByTestId("username")).ToHaveTextAsync(user.Username!);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to ConPaaS" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to ConPaaS" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task api_text_is_rendered_as_text_never_as_html()
    {
        var user = await app.NewUser();
        await user.Ok("mutation { createApplication(name: \"<img src=x onerror=alert(1)>\") { id } }");
        var page = await app.SignedIn(user);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "<img src=x onerror=alert(1)>" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("main img").CountAsync());
    }

    [Fact]
    public async Task the_pages_fit_a_phone_and_have_no_serious_accessibility_violation()
    {
        var user = await app.NewUser();
        var appId = (await user.Ok("mutation { createApplication(name: \"shop\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var serviceId = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();

        var anonymous = await app.NewPage();
        await anonymous.GotoAsync("/");
        await Expect(anonymous.GetByRole(AriaRole.Heading, new() { Name = "Sign in to ConPaaS" })).ToBeVisibleAsync();
        await AssertAccessible(anonymous, "sign in");

        var page = await app.SignedIn(user);
        foreach (var (path, ready) in new[] { ("/", "shop"), ($"/apps/{appId}", "Add a service"), ($"/services/{serviceId}", "Nodes"), ($"/services/{serviceId}/history", "Timeline"), ("/resources", "Resources"), ("/credits", "Credits") })
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = ready })).ToBeVisibleAsync();
            await AssertAccessible(page, path);
        }

        await page.SetViewportSizeAsync(390, 844);
        foreach (var path in new[] { "/", $"/apps/{appId}", $"/services/{serviceId}", "/credits", "/certificates", $"/apps/{appId}/history" })
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            var wider = await page.EvaluateAsync<string[]>("""
                () => document.documentElement.scrollWidth <= 390 ? [] : [...document.querySelectorAll('body *')]
                    .filter((e) => e.getBoundingClientRect().right > 390).slice(0, 5).map((e) => e.outerHTML.slice(0, 120))
                """);
            Assert.True(wider.Length == 0, $"{path} is wider than a phone: {string.Join(" | ", wider)}");
        }
    }

    private static ILocator MainNav(IPage page, string link) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link });

    /// <summary>An axe scan with no serious or critical violation (every dashboard page's test uses it).</summary>
    internal static async Task AssertAccessible(IPage page, string what)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(serious.Count == 0, $"{what}: {string.Join("; ", serious)}");
    }
}
