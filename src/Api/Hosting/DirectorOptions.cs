using Conpaas.Domain.Users;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Hosting;

/// <summary>Settings under "Director" (environment: Director__MaxCredit, …). Validated at start-up.</summary>
public sealed class DirectorOptions
{
    public const string Section = "Director";

    /// <summary>The public URL of this Director; it names the VPN namespaces and goes into VM boot contexts.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5555";
    /// <summary>Self-registration through the register mutation.</summary>
    public bool AllowRegistration { get; set; } = true;
    /// <summary>A new user gets an application to put services in, as ConPaaS gave one (created with the user, one commit).</summary>
    public bool CreateDefaultApplication { get; set; } = true;
    public string DefaultApplicationName { get; set; } = "default";
    /// <summary>The most credit a new user may get (ConPaaS MAX_CREDIT).</summary>
    public int MaxCredit { get; set; } = 50;
    public int MinPasswordLength { get; set; } = 6;
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(24);
    public int LoginMaxFailures { get; set; } = 5;
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>Password hashes (Argon2id, 19 MiB each) computed at once; more wait in a queue of <see cref="PasswordHashQueue"/>.</summary>
    public int MaxConcurrentPasswordHashes { get; set; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>Password hashes that may wait for a free slot; beyond it a sign-in answers RATE_LIMITED at once.</summary>
    public int PasswordHashQueue { get; set; } = 64;
    /// <summary>register and login operations one client address may make per minute without a token.</summary>
    public int AnonymousSignInsPerMinute { get; set; } = 60;
    /// <summary>The administrator created at first start; a password is generated and printed once when empty.</summary>
    public string AdminUsername { get; set; } = "admin";
    public string AdminEmail { get; set; } = "admin@localhost";
    public string? AdminPassword { get; set; }
    /// <summary>First part of every VM name (ConPaaS DEPLOYMENT_NAME), so one cloud account can host several Directors.</summary>
    public string DeploymentName { get; set; } = "conpaas";
    /// <summary>Database schema of the event store and read models.</summary>
    public string Schema { get; set; } = "conpaas";
    /// <summary>Balanced (several nodes share the database) or Solo.</summary>
    public string DurabilityMode { get; set; } = "Balanced";

    public RegistrationPolicy Registration => new(MaxCredit, MinPasswordLength);
    public LoginThrottlePolicy LoginThrottle => new(LoginMaxFailures, LoginFailureWindow);
}

/// <summary>Limits of the GraphQL endpoint, under "GraphQL".</summary>
public sealed class GraphQLOptions
{
    public const string Section = "GraphQL";

    public int MaxRequestBytes { get; set; } = 64 * 1024;
    /// <summary>Levels of fields, fragments expanded; also bounds the parser's nesting (argument values included).</summary>
    public int MaxDepth { get; set; } = 15;
    public int MaxComplexity { get; set; } = 250_000;
    /// <summary>The limits below are measured on the parsed document, before validation expands fragments (issue 11).</summary>
    public int MaxTokens { get; set; } = 5_000;
    public int MaxAliases { get; set; } = 30;
    public int MaxFragments { get; set; } = 50;
    public int MaxSpreads { get; set; } = 100;
    public int MaxDirectives { get; set; } = 50;
    /// <summary>Fields selected once fragments are expanded, counted without expanding them.</summary>
    public int MaxFields { get; set; } = 500;
    /// <summary>Deadline of a query or mutation (a subscription's stream is not bounded by it).</summary>
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public bool ExposeExceptionDetails { get; set; }
}

/// <summary>Every bad setting is reported with its full key, so the operator knows what to fix.</summary>
public sealed class DirectorOptionsValidator : IValidateOptions<DirectorOptions>
{
    public ValidateOptionsResult Validate(string? name, DirectorOptions o)
    {
        var problems = new List<string>();
        void Check(bool ok, string key, string what)
        {
            if (!ok) problems.Add($"{DirectorOptions.Section}:{key} {what}");
        }

        Check(Uri.TryCreate(o.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https", "Url",
            $"'{o.Url}' must be an absolute http(s) URL");
        Check(Domain.Applications.ApplicationDecisions.CheckName(o.DefaultApplicationName) is null, "DefaultApplicationName",
            $"'{o.DefaultApplicationName}' is not an application name: {Domain.Applications.ApplicationDecisions.CheckName(o.DefaultApplicationName)?.Message}");
        Check(o.MaxCredit is >= 0 and <= 1_000_000, "MaxCredit", $"{o.MaxCredit} must be between 0 and 1000000");
        Check(o.MinPasswordLength is >= 1 and <= 128, "MinPasswordLength", $"{o.MinPasswordLength} must be between 1 and 128");
        Check(o.SessionLifetime > TimeSpan.Zero, "SessionLifetime", $"{o.SessionLifetime} must be positive");
        Check(o.LoginMaxFailures >= 1, "LoginMaxFailures", $"{o.LoginMaxFailures} must be at least 1");
        Check(o.LoginFailureWindow > TimeSpan.Zero, "LoginFailureWindow", $"{o.LoginFailureWindow} must be positive");
        Check(o.MaxConcurrentPasswordHashes is >= 1 and <= 1024, "MaxConcurrentPasswordHashes",
            $"{o.MaxConcurrentPasswordHashes} must be between 1 and 1024");
        Check(o.PasswordHashQueue is >= 0 and <= 100_000, "PasswordHashQueue", $"{o.PasswordHashQueue} must be between 0 and 100000");
        Check(o.AnonymousSignInsPerMinute >= 1, "AnonymousSignInsPerMinute", $"{o.AnonymousSignInsPerMinute} must be at least 1");
        Check(!string.IsNullOrWhiteSpace(o.AdminUsername), "AdminUsername", "must not be empty");
        Check(o.AdminPassword is null || o.AdminPassword.Length >= o.MinPasswordLength, "AdminPassword",
            $"must have at least {o.MinPasswordLength} characters");
        Check(System.Text.RegularExpressions.Regex.IsMatch(o.Schema, "^[a-z_][a-z0-9_]{0,62}$"), "Schema",
            $"'{o.Schema}' must be a lower-case SQL identifier");
        Check(System.Text.RegularExpressions.Regex.IsMatch(o.DeploymentName, "^[a-z][a-z0-9-]{0,30}$"), "DeploymentName",
            $"'{o.DeploymentName}' must be lower-case letters, digits and '-' (at most 31), starting with a letter");
        Check(o.DurabilityMode is "Balanced" or "Solo", "DurabilityMode", $"'{o.DurabilityMode}' must be Balanced or Solo");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public sealed class GraphQLOptionsValidator : IValidateOptions<GraphQLOptions>
{
    public ValidateOptionsResult Validate(string? name, GraphQLOptions o)
    {
        var problems = new List<string>();
        if (o.MaxRequestBytes < 1024) problems.Add($"GraphQL:MaxRequestBytes {o.MaxRequestBytes} must be at least 1024");
        if (o.MaxDepth is < 5 or > 100) problems.Add($"GraphQL:MaxDepth {o.MaxDepth} must be between 5 and 100");
        if (o.MaxComplexity < 100) problems.Add($"GraphQL:MaxComplexity {o.MaxComplexity} must be at least 100");
        void AtLeast(int value, int min, string key)
        {
            if (value < min) problems.Add($"GraphQL:{key} {value} must be at least {min}");
        }

        AtLeast(o.MaxTokens, 100, "MaxTokens");
        AtLeast(o.MaxAliases, 0, "MaxAliases");
        AtLeast(o.MaxFragments, 0, "MaxFragments");
        AtLeast(o.MaxSpreads, 0, "MaxSpreads");
        AtLeast(o.MaxDirectives, 0, "MaxDirectives");
        AtLeast(o.MaxFields, 10, "MaxFields");
        if (o.ExecutionTimeout <= TimeSpan.Zero) problems.Add($"GraphQL:ExecutionTimeout {o.ExecutionTimeout} must be positive");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
