using System.Net;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Identity.Sso;

/// <summary>
/// The Director with three identity providers: "test", a real oidc-provider started for the class, "expiring", the same
/// provider with a client whose codes expire after 1 second, and "down", whose issuer nobody answers. A new user gets the
/// default application, as shipped. The Director listens on a port chosen first, so that its callback address (Director:Url +
/// /sso/test/callback) can be registered at the provider exactly, as an operator does.
/// </summary>
public sealed class SsoApp : DirectorApp, IAsyncLifetime
{
    private readonly int _port = OidcProvider.FreePort();
    private readonly int _downPort = OidcProvider.FreePort();

    public OidcProvider Provider { get; private set; } = null!;

    /// <summary>Director:Url, the address the provider sends browsers back to.</summary>
    public Uri Url => new($"http://127.0.0.1:{_port}");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Director:Url"] = Url.ToString(),
        ["Director:CreateDefaultApplication"] = "true",
        ["Sso:Providers:test:Issuer"] = Provider.Issuer.ToString(),
        ["Sso:Providers:test:ClientId"] = OidcProvider.ClientId,
        ["Sso:Providers:test:ClientSecret"] = OidcProvider.ClientSecret,
        ["Sso:Providers:test:DisplayName"] = "Test organisation",
        ["Sso:Providers:expiring:Issuer"] = Provider.Issuer.ToString(),
        ["Sso:Providers:expiring:ClientId"] = OidcProvider.ClientId + "-expiring",
        ["Sso:Providers:expiring:ClientSecret"] = OidcProvider.ClientSecret,
        ["Sso:Providers:down:Issuer"] = $"http://127.0.0.1:{_downPort}",
        ["Sso:Providers:down:ClientId"] = "nobody-answers",
    };

    public new async ValueTask InitializeAsync()
    {
        Provider = await OidcProvider.Start(new Uri(Url, "/sso/test/callback").ToString());
        await base.InitializeAsync();
    }

    protected override void StartKestrel() => UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));

    /// <summary>A browser of its own: cookies kept, redirects shown to the test.</summary>
    public HttpClient Browser() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Url };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Provider is not null) await Provider.DisposeAsync();
    }
}
