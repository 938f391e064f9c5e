using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Identity.Sso;

/// <summary>
/// A real OpenID Connect provider (the oidc-provider npm package, tests/js/oidc-provider.mjs) on a free loopback port,
/// with one client registered for the Director. Any login name signs in as the account of that name.
/// </summary>
public sealed partial class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "conpaas-director";
    public const string ClientSecret = "test-client-secret-never-logged";

    private readonly Process _node;

    public Uri Issuer { get; }

    private OidcProvider(Process node, Uri issuer)
    {
        _node = node;
        Issuer = issuer;
    }

    /// <summary>Starts the provider and returns once its discovery document answers.</summary>
    public static async Task<OidcProvider> Start(params string[] redirectUris)
    {
        var tools = Path.Combine(Repo.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(tools, "node_modules", "oidc-provider")),
            $"{tools}/node_modules lacks oidc-provider: run `npm ci` in {tools}");
        var port = FreePort();
        var psi = new ProcessStartInfo("node") { WorkingDirectory = tools, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "oidc-provider.mjs", port.ToString(), ClientId, ClientSecret }.Concat(redirectUris)) psi.ArgumentList.Add(arg);
        var node = Process.Start(psi)!;
        node.ErrorDataReceived += (_, _) => { };
        node.BeginErrorReadLine();
        var provider = new OidcProvider(node, new Uri($"http://localhost:{port}"));
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var discovery = await http.GetAsync(new Uri(provider.Issuer, "/.well-known/openid-configuration"));
                if (discovery.IsSuccessStatusCode) return provider;
            }
            catch (HttpRequestException) when (!node.HasExited && DateTime.UtcNow < deadline)
            {
            }

            if (node.HasExited || DateTime.UtcNow >= deadline)
            {
                await provider.DisposeAsync();
                Assert.Fail($"oidc-provider did not answer its discovery on port {port} (exited: {node.HasExited})");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A loopback port nobody listens on at this moment.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Plays the user at the provider, as a browser would: follows redirects from <paramref name="authorizationUrl"/>,
    /// signs in as <paramref name="login"/> and consents, and returns the address the provider sends the browser back to
    /// (not followed, so that a test may replay or alter it).
    /// </summary>
    public static async Task<Uri> SignIn(HttpClient browser, Uri authorizationUrl, string login, CancellationToken ct)
    {
        var url = authorizationUrl;
        HttpContent? form = null;
        for (var step = 0; step < 20; step++)
        {
            using var request = new HttpRequestMessage(form is null ? HttpMethod.Get : HttpMethod.Post, url) { Content = form };
            using var response = await browser.SendAsync(request, ct);
            form = null;
            if (response.Headers.Location is { } next)
            {
                url = new Uri(url, next);
                if (url.Authority != authorizationUrl.Authority) return url;
                continue;
            }

            var page = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.IsSuccessStatusCode, $"the provider answered {(int)response.StatusCode}: {page}");
            var action = FormAction().Match(page);
            Assert.True(action.Success, $"no form on the provider's page: {page}");
            var fields = Inputs().Matches(page).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
            if (fields.ContainsKey("login"))
            {
                fields["login"] = login;
                fields["password"] = "any password";
            }

            url = new Uri(url, WebUtility.HtmlDecode(action.Groups[1].Value));
            form = new FormUrlEncodedContent(fields);
        }

        throw new InvalidOperationException("the provider's sign-in did not end in 20 steps");
    }

    [GeneratedRegex("""<form[^>]*action="([^"]+)"[^>]*method="post">""")]
    private static partial Regex FormAction();

    [GeneratedRegex("""<input[^>]*name="(?<name>[^"]+)"(?:[^>]*value="(?<value>[^"]*)")?""")]
    private static partial Regex Inputs();

    public async ValueTask DisposeAsync()
    {
        if (!_node.HasExited) _node.Kill(entireProcessTree: true);
        await _node.WaitForExitAsync();
        _node.Dispose();
    }
}
