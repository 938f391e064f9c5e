using Conpaas.Api.Tests.Certificates;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>The certificates page in a real browser: issue from a pasted CSR, list, revoke.</summary>
public sealed class DashboardCertificateTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task a_certificate_issued_from_a_pasted_csr_is_shown_and_revoking_it_marks_it_revoked()
    {
        var user = await app.NewUser();
        var page = await app.SignedIn(user);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Certificates" }).ClickAsync();
        await Expect(page.GetByText("No certificate yet")).ToBeVisibleAsync();

        await page.GetByLabel("Certificate signing request (PEM)").FillAsync(Requester.P256().CsrPem);
        await page.GetByRole(AriaRole.Button, new() { Name = "Issue" }).ClickAsync();
        var issued = page.GetByTestId("issued");
        await Expect(issued).ToContainTextAsync(user.Username!);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", await issued.GetByLabel("Certificate (PEM)").InputValueAsync());
        var serial = await issued.Locator("code").TextContentAsync();

        var row = page.Locator($"tr[data-serial='{serial}']");
        await Expect(row).ToContainTextAsync("valid");
        await DashboardApp.Screenshot(page, "certificates");
        await DashboardTourTests.AssertAccessible(page, "/certificates");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Revoke {serial}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);

        // The CA's files are where the page's links point.
        foreach (var link in new[] { "Download the CA certificate", "Download the revocation list (CRL)" })
        {
            var href = await page.GetByRole(AriaRole.Link, new() { Name = link }).GetAttributeAsync("href");
            var response = await page.APIRequest.GetAsync(href!);
            Assert.True(response.Ok, $"{href}: {response.Status}");
        }
    }

    [Fact]
    public async Task a_bad_csr_is_refused_next_to_its_field()
    {
        var page = await app.SignedIn(await app.NewUser());
        await page.GotoAsync("/certificates");
        await page.GetByLabel("Certificate signing request (PEM)").FillAsync("not a CSR");
        await page.GetByRole(AriaRole.Button, new() { Name = "Issue" }).ClickAsync();
        await Expect(page.GetByLabel("Certificate signing request (PEM)")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#csr-error")).Not.ToBeEmptyAsync();
    }

    [Fact]
    public async Task the_list_holds_only_the_callers_own_certificates_even_for_an_administrator()
    {
        var other = await app.NewUser();
        await other.Ok("mutation($csr: String!) { issueCertificate(csrPem: $csr) { serial } }", new { csr = Requester.P256().CsrPem });
        var admin = await app.SignedInAdmin();
        await admin.GotoAsync("/certificates");
        await Expect(admin.GetByText("No certificate yet")).ToBeVisibleAsync();
    }
}
