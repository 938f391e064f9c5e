using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>
/// GraphiQL at /graphiql in a real browser: signed in by the dashboard's cookie session, queries over HTTP with the
/// CSRF header, subscriptions over graphql-ws, Monaco's workers loaded under the page's CSP.
/// </summary>
public sealed class DashboardGraphiQLTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task a_signed_in_user_runs_a_query_and_a_subscription_in_graphiql_under_its_content_security_policy()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        var refused = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") refused.Add(message.Text);
        };

        await page.GetByRole(AriaRole.Link, new() { Name = "GraphiQL" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/graphiql$"));
        var response = await page.APIRequest.GetAsync("/graphiql");
        Assert.Contains("script-src 'self';", response.Headers["content-security-policy"]);

        await Run(page, "query { me { username } }");
        await Expect(page.Locator(".graphiql-response")).ToContainTextAsync($"\"username\": \"{user.Username}\"", new() { Timeout = 30_000 });

        // A subscription goes over graphql-ws with the same session: it replays the user's log from the start (the
        // last of it is the application made before), then goes live (an application made after it arrives).
        await user.Ok("mutation { createApplication(name: \"before\") { id } }");
        await Run(page, "subscription { events(after: 0) { type data } }");
        await Expect(page.Locator(".graphiql-response")).ToContainTextAsync("before", new() { Timeout = 30_000 });
        await user.Ok("mutation { createApplication(name: \"after\") { id } }");
        await Expect(page.Locator(".graphiql-response")).ToContainTextAsync("\"after\"", new() { Timeout = 30_000 });

        // Monaco's language workers ran (the graphql worker gives the editor its schema-aware highlighting); nothing
        // was refused by the page's policy.
        Assert.DoesNotContain(refused, m => m.Contains("Content Security Policy") || m.Contains("Refused"));
    }

    [Fact]
    public async Task graphiql_without_a_session_answers_unauthenticated_in_its_result_pane()
    {
        var page = await app.NewPage();
        await page.GotoAsync("/graphiql");
        await Run(page, "query { applications { id } }");
        await Expect(page.Locator(".graphiql-response")).ToContainTextAsync("UNAUTHENTICATED", new() { Timeout = 30_000 });
    }

    private static async Task Run(IPage page, string query)
    {
        var editor = page.Locator(".graphiql-query-editor .monaco-editor").First;
        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        await page.Keyboard.InsertTextAsync(query);
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Execute") }).ClickAsync();
    }
}
