using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>
/// Settings under "Certificates" (environment: Certificates__CaDirectory, …), validated at start-up. The CA lives in
/// <see cref="CaDirectory"/>: ca.crt (the CA certificate), ca.key (its private key, mode 0600) and ca.lock. Several
/// Director nodes share one CA by pointing this at the same folder.
/// </summary>
public sealed class CertificateOptions
{
    public const string Section = "Certificates";
    public const string CaDirectoryKey = Section + ":" + nameof(CaDirectory);

    /// <summary>Where the CA is kept. Empty: ~/.conpaas/ca of the account the Director runs as; a relative path is taken from the content root.</summary>
    public string? CaDirectory { get; set; }
    /// <summary>How long an issued certificate is valid (ConPaaS: one year).</summary>
    public TimeSpan Validity { get; set; } = TimeSpan.FromDays(365);
    /// <summary>How long a published CRL is valid (its nextUpdate). A new one is published at each revocation and once half of this has passed.</summary>
    public TimeSpan CrlValidity { get; set; } = TimeSpan.FromDays(1);
    /// <summary>Lifetime of a CA the Director creates itself (a CA brought by the operator keeps its own).</summary>
    public TimeSpan CaValidity { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>The CA folder as an absolute path; null when it is left empty and the account has no home folder.</summary>
    public string? ResolveDirectory(string contentRoot)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dir = CaDirectory?.Trim();
        if (string.IsNullOrEmpty(dir)) return home.Length == 0 ? null : Path.Combine(home, ".conpaas", "ca");
        if (dir == "~" || dir.StartsWith("~/", StringComparison.Ordinal))
            return home.Length == 0 ? null : Path.GetFullPath(Path.Combine(home, dir.Length > 2 ? dir[2..] : ""));
        return Path.GetFullPath(dir, contentRoot);
    }
}

/// <summary>Every bad setting is reported with its full key; a CA key that others may read stops the Director before it starts.</summary>
public sealed class CertificateOptionsValidator(IHostEnvironment environment) : IValidateOptions<CertificateOptions>
{
    public ValidateOptionsResult Validate(string? name, CertificateOptions o)
    {
        var problems = new List<string>();
        void Check(bool ok, string key, string what)
        {
            if (!ok) problems.Add($"{CertificateOptions.Section}:{key} {what}");
        }

        Check(o.CaValidity >= TimeSpan.FromDays(1) && o.CaValidity <= TimeSpan.FromDays(36500), nameof(o.CaValidity),
            $"{o.CaValidity} must be between 1 day and 100 years");
        Check(o.Validity >= TimeSpan.FromMinutes(1) && o.Validity <= o.CaValidity, nameof(o.Validity),
            $"{o.Validity} must be at least 1 minute and at most Certificates:CaValidity ({o.CaValidity})");
        Check(o.CrlValidity >= TimeSpan.FromSeconds(1) && o.CrlValidity <= TimeSpan.FromDays(366), nameof(o.CrlValidity),
            $"{o.CrlValidity} must be between 1 second and 366 days");

        var folder = o.ResolveDirectory(environment.ContentRootPath);
        if (folder is null)
            problems.Add($"{CertificateOptions.CaDirectoryKey} is empty and this account has no home folder: set it to a folder only the Director can read");
        else if (File.Exists(folder))
            problems.Add($"{CertificateOptions.CaDirectoryKey} '{folder}' is a file, not a folder");
        else if (CaFiles.KeyProblem(Path.Combine(folder, CaFiles.KeyFile)) is { } problem)
            problems.Add(problem);

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
