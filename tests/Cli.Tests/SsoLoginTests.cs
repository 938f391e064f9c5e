using System.Net;
using System.Text.RegularExpressions;
using Conpaas.Api.Tests.Identity.Sso;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>A Director with one identity provider, a real oidc-provider, registered with the Director's callback address.</summary>
public sealed class SsoDirectorApp : DirectorApp, IAsyncLifetime
{
    private readonly int _port = OidcProvider.FreePort();
    private OidcProvider? _provider;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Director:Url"] = $"http://127.0.0.1:{_port}",
        ["Sso:Providers:test:Issuer"] = _provider!.Issuer.ToString(),
        ["Sso:Providers:test:ClientId"] = OidcProvider.ClientId,
        ["Sso:Providers:test:ClientSecret"] = OidcProvider.ClientSecret,
    };

    public new async ValueTask InitializeAsync()
    {
        _provider = await OidcProvider.Start($"http://127.0.0.1:{_port}/sso/test/callback");
        await base.InitializeAsync();
    }

    protected override void StartKestrel() => UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_provider is not null) await _provider.DisposeAsync();
    }
}

/// <summary>`cps login --sso`: the loopback flow, with the test playing the person's browser.</summary>
public sealed partial class SsoLoginTests(SsoDirectorApp app) : IClassFixture<SsoDirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"(http://\S+/sso/test/start\?cli=\S+)\n")]
    private static partial Regex StartAddress();

    [Fact]
    public async Task login_sso_prints_the_address_and_keeps_the_directors_session_once_the_browser_signed_in()
    {
        var login = "cli" + Guid.NewGuid().ToString("N")[..8];
        var shell = app.NewShell();
        var director = app.BaseAddress.ToString();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new Dictionary<string, string?> { ["CPS_NO_BROWSER"] = "1" };
        var cps = Conpaas.Cli.Cli.Run(["login", "--sso", "test", "--director", director], output, error, shell.ConfigDirectory,
            name => environment.GetValueOrDefault(name), ct: Ct);

        // The person opens the printed address: cps writes it once, then only waits.
        var printed = await Wait.Until(() => StartAddress().Match(error.ToString()), m => m.Success, Wait.Short,
            "the printed sign-in address", _ => cps.IsCompleted ? $"cps ended early: {error}" : null);

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });
        using var start = await browser.GetAsync(printed.Groups[1].Value, Ct);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, login, Ct);
        using var callback = await browser.GetAsync(back, Ct);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        using var loopback = await browser.GetAsync(callback.Headers.Location!, Ct);
        Assert.Contains("Signed in", await loopback.Content.ReadAsStringAsync(Ct));

        Assert.True(await cps == 0, $"cps login --sso: {output}{error}");
        Assert.StartsWith($"Logged in as {login} at ", output.ToString());
        Assert.Equal(login, (await shell.Ok("whoami")).Field("username"));
    }

    [Fact]
    public async Task login_without_a_user_or_a_provider_is_a_usage_error()
    {
        var shell = app.NewShell();
        await shell.Fails(2, "Give USER, or --sso PROVIDER", "login", "--director", app.BaseAddress.ToString());
    }
}
