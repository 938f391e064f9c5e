using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>The credits page's balance chart and its forecast to zero, in a real browser.</summary>
public sealed class DashboardCreditsTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task the_balance_chart_shows_the_forecast_to_zero_once_vms_run()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        await page.GotoAsync("/credits");
        var chart = page.GetByTestId("balance-chart");
        await Expect(chart).ToHaveAttributeAsync("aria-label", "Balance from 50 to 50 credits now; nothing runs");
        await Expect(page.GetByTestId("forecast")).ToHaveCountAsync(0);

        var appId = (await user.Ok("mutation { createApplication(name: \"paid\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var serviceId = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();
        await user.Ok("mutation($s: ID!) { startService(id: $s) { state } }", new { s = serviceId });

        // VMs run: the forecast to zero appears, without a reload.
        await Expect(page.GetByTestId("forecast")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Expect(chart).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("^Balance from 50 to \\d+ credits now; at the current rate it reaches 0 "));
        await DashboardApp.Screenshot(page, "credits");
        await DashboardTourTests.AssertAccessible(page, "/credits");
    }
}
