using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity.Sso;

/// <summary>OpenID Connect providers the Director delegates sign-in to, under "Sso" (environment: Sso__Providers__corp__Issuer, …).</summary>
public sealed class SsoOptions
{
    public const string Section = "Sso";

    /// <summary>By name; the name is part of the URLs (/sso/{name}/start) and of <c>cps login --sso {name}</c>.</summary>
    public Dictionary<string, SsoProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a started sign-in may take at the provider before its state is refused.</summary>
    public TimeSpan SignInTimeout { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class SsoProviderOptions
{
    /// <summary>The issuer URL; its /.well-known/openid-configuration is read.</summary>
    public string Issuer { get; set; } = "";
    public string ClientId { get; set; } = "";
    /// <summary>Never logged nor answered; empty for a public client (PKCE only).</summary>
    public string? ClientSecret { get; set; }
    public string Scopes { get; set; } = "openid profile email";
    public string UsernameClaim { get; set; } = "preferred_username";
    public string EmailClaim { get; set; } = "email";
    /// <summary>The sign-in button's text; the name when empty.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Plain HTTP is accepted only on the machine itself (a test or development provider).</summary>
    public static bool IsLoopback(Uri uri) => uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);

    // The secret stays out of anything that prints the options.
    public override string ToString() => $"{Issuer} (client {ClientId})";
}

/// <summary>Every bad provider setting is reported with its full key; the secret's value never appears.</summary>
public sealed partial class SsoOptionsValidator : IValidateOptions<SsoOptions>
{
    public ValidateOptionsResult Validate(string? name, SsoOptions o)
    {
        var problems = new List<string>();
        if (o.SignInTimeout <= TimeSpan.Zero || o.SignInTimeout > TimeSpan.FromHours(1))
            problems.Add($"{SsoOptions.Section}:SignInTimeout {o.SignInTimeout} must be positive and at most 1 hour");
        foreach (var (provider, p) in o.Providers)
        {
            var key = $"{SsoOptions.Section}:Providers:{provider}";
            if (!ProviderName().IsMatch(provider))
                problems.Add($"{key} the name '{provider}' must be lower-case letters, digits and '-' (at most 32)");
            if (!Uri.TryCreate(p.Issuer, UriKind.Absolute, out var issuer)
                || !(issuer.Scheme == Uri.UriSchemeHttps || issuer.Scheme == Uri.UriSchemeHttp && SsoProviderOptions.IsLoopback(issuer))
                || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
                problems.Add($"{key}:Issuer '{p.Issuer}' must be an absolute https URL (http only on a loopback address), without query");
            if (string.IsNullOrWhiteSpace(p.ClientId)) problems.Add($"{key}:ClientId must not be empty");
            if (!p.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
                problems.Add($"{key}:Scopes '{p.Scopes}' must include openid");
            if (string.IsNullOrWhiteSpace(p.UsernameClaim)) problems.Add($"{key}:UsernameClaim must not be empty");
            if (string.IsNullOrWhiteSpace(p.EmailClaim)) problems.Add($"{key}:EmailClaim must not be empty");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex ProviderName();
}
