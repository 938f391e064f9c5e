using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Conpaas.Domain;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Conpaas.Api.Identity.Sso;

/// <summary>Who the provider says signed in: the issuer + subject pair that names them for good, and the claims asked for.</summary>
public sealed record SsoIdentity(string Provider, string Issuer, string Subject, string? Username, string? Email);

/// <summary>A sign-in the provider refused, or could not be asked: the HTTP status and the error the caller sees.</summary>
public sealed class SsoException(int status, DomainError error) : Exception(error.Message)
{
    public int Status { get; } = status;
    public DomainError Error { get; } = error;
}

/// <summary>
/// The OpenID Connect side of federated sign-in, with the IdentityModel library doing the protocol: discovery (cached
/// and refreshed by its configuration manager), the authorization URL, the code exchange with the PKCE verifier, and
/// the ID token's checks (signature by the provider's JWKS, issuer, audience, lifetime), then the nonce.
/// </summary>
public sealed class SsoProviders(IOptions<SsoOptions> options, IHttpClientFactory http, ILogger<SsoProviders> log)
{
    public const string HttpClientName = "sso";
    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _discovery = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, SsoProviderOptions> All => options.Value.Providers;

    public SsoProviderOptions Get(string provider) =>
        options.Value.Providers.TryGetValue(provider, out var p) ? p
            : throw new SsoException(StatusCodes.Status404NotFound, DomainError.NotFound($"No identity provider named '{provider}'"));

    public async Task<string> AuthorizationUrl(string provider, string redirectUri, string state, string nonce, string verifier, CancellationToken ct)
    {
        var p = Get(provider);
        var config = await Discover(provider, ct);
        return QueryHelpers.AddQueryString(config.AuthorizationEndpoint, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = p.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = p.Scopes,
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        });
    }

    /// <summary>Exchanges the code for the provider's tokens and returns the ID token's identity once every check passed.</summary>
    public async Task<SsoIdentity> Redeem(string provider, string code, string redirectUri, string verifier, string nonce, CancellationToken ct)
    {
        var p = Get(provider);
        var config = await Discover(provider, ct);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, config.TokenEndpoint);
        if (string.IsNullOrEmpty(p.ClientSecret)) form["client_id"] = p.ClientId;
        else
            // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded before base64.
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                Uri.EscapeDataString(p.ClientId) + ":" + Uri.EscapeDataString(p.ClientSecret))));
        request.Content = new FormUrlEncodedContent(form);

        JsonElement answer;
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            answer = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("The identity provider {Provider} did not answer the code exchange: {Error}", provider, ex.Message);
            throw Unreachable(provider);
        }

        if (!response.IsSuccessStatusCode || !answer.TryGetProperty("id_token", out var idToken) || idToken.ValueKind != JsonValueKind.String)
        {
            var error = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var e) ? e.ToString() : $"HTTP {(int)response.StatusCode}";
            log.LogInformation("The identity provider {Provider} refused a code: {Error}", provider, error);
            throw Refused(provider, $"the code was refused ({error}): it may have expired or been used already; sign in again");
        }

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(idToken.GetString(), new TokenValidationParameters
        {
            ValidIssuer = config.Issuer,
            ValidAudience = p.ClientId,
            // The manager refetches the JWKS when a key is unknown, so a provider's key rotation needs no restart.
            ConfigurationManager = Manager(provider),
            ClockSkew = TimeSpan.FromMinutes(1),
        });
        if (!result.IsValid)
        {
            log.LogWarning("The identity provider {Provider} sent an ID token that failed validation: {Error}", provider, result.Exception?.Message);
            throw Refused(provider, "its ID token could not be verified");
        }

        var claims = result.ClaimsIdentity.Claims.ToLookup(c => c.Type, c => c.Value);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(claims["nonce"].FirstOrDefault() ?? ""), Encoding.UTF8.GetBytes(nonce)))
            throw Refused(provider, "its ID token belongs to another sign-in (nonce)");
        var subject = claims["sub"].FirstOrDefault();
        if (string.IsNullOrEmpty(subject)) throw Refused(provider, "its ID token names no subject");
        string? username = claims[p.UsernameClaim].FirstOrDefault(), email = claims[p.EmailClaim].FirstOrDefault();
        // With an access token the scopes' claims may come from UserInfo only (OpenID Connect Core §5.4).
        if ((username is null || email is null) && !string.IsNullOrEmpty(config.UserInfoEndpoint)
            && answer.TryGetProperty("access_token", out var accessToken) && accessToken.ValueKind == JsonValueKind.String)
        {
            var info = await UserInfo(provider, config.UserInfoEndpoint, accessToken.GetString()!, ct);
            // UserInfo's sub must be the ID token's (§5.3.2), or its claims belong to someone else.
            if (info.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String && sub.GetString() == subject)
            {
                username ??= StringClaim(info, p.UsernameClaim);
                email ??= StringClaim(info, p.EmailClaim);
            }
            else throw Refused(provider, "its UserInfo answer is about another subject");
        }

        return new SsoIdentity(provider, config.Issuer, subject, username, email);
    }

    private async Task<JsonElement> UserInfo(string provider, string endpoint, string accessToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
        request.Headers.Authorization = new("Bearer", accessToken);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode) throw Refused(provider, $"its UserInfo answered HTTP {(int)response.StatusCode}");
            return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("The identity provider {Provider} did not answer UserInfo: {Error}", provider, ex.Message);
            throw Unreachable(provider);
        }
    }

    private static string? StringClaim(JsonElement claims, string name) =>
        claims.ValueKind == JsonValueKind.Object && claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<OpenIdConnectConfiguration> Discover(string provider, CancellationToken ct)
    {
        try
        {
            return await Manager(provider).GetConfigurationAsync(ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
        {
            // The library's message carries the whole inner stack trace; the root cause says it in a line.
            log.LogWarning("The identity provider {Provider} cannot be reached: {Error}", provider, ex.GetBaseException().Message);
            throw Unreachable(provider);
        }
    }

    private ConfigurationManager<OpenIdConnectConfiguration> Manager(string provider) => _discovery.GetOrAdd(provider, name =>
    {
        var issuer = new Uri(Get(name).Issuer);
        return new ConfigurationManager<OpenIdConnectConfiguration>(
            issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http.CreateClient(HttpClientName)) { RequireHttps = !SsoProviderOptions.IsLoopback(issuer) });
    });

    private static SsoException Unreachable(string provider) => new(StatusCodes.Status502BadGateway,
        DomainError.Unauthenticated($"The identity provider '{provider}' cannot be reached: try again later or sign in with a password"));

    private static SsoException Refused(string provider, string why) => new(StatusCodes.Status401Unauthorized,
        DomainError.Unauthenticated($"Sign-in with '{provider}' failed: {why}"));
}
