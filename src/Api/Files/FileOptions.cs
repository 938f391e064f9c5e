using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>Settings under "Files" (environment: Files__MaxBytes, …), validated at start-up.</summary>
public sealed class DataFileOptions
{
    public const string Section = "Files";

    /// <summary>Where contents are kept (&lt;folder&gt;/&lt;owner&gt;/&lt;sha256&gt;, mode 0600). Empty: ~/.conpaas/files; relative: from the content root.</summary>
    public string? Folder { get; set; }
    /// <summary>The largest file one upload may carry (all file parts of a request together).</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>What one user may store in all (a content stored twice counts once).</summary>
    public long QuotaBytes { get; set; } = 512L * 1024 * 1024;
    /// <summary>The longest life a fileLink may ask for.</summary>
    public TimeSpan MaxLinkLifetime { get; set; } = TimeSpan.FromDays(1);
    /// <summary>How long a VM's link to its service's startup script or archive stays valid (it is used once, at boot).</summary>
    public TimeSpan BootLinkLifetime { get; set; } = TimeSpan.FromHours(2);
    /// <summary>
    /// How long a VM's agent lets the startup script run before it kills it. The VM counts as ready once the script is
    /// done, so keep this below Agents:ReadinessTimeout (5 minutes).
    /// </summary>
    public TimeSpan StartupScriptTimeout { get; set; } = TimeSpan.FromMinutes(4);
    /// <summary>The most a code archive may unpack to on a VM (all its files together).</summary>
    public long MaxUnpackedBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The folder as an absolute path; null when it is left empty and the account has no home folder.</summary>
    public string? ResolveFolder(string contentRoot)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dir = Folder?.Trim();
        if (string.IsNullOrEmpty(dir)) return home.Length == 0 ? null : Path.Combine(home, ".conpaas", "files");
        if (dir == "~" || dir.StartsWith("~/", StringComparison.Ordinal))
            return home.Length == 0 ? null : Path.GetFullPath(Path.Combine(home, dir.Length > 2 ? dir[2..] : ""));
        return Path.GetFullPath(dir, contentRoot);
    }
}

public sealed class FileOptionsValidator(IHostEnvironment environment) : IValidateOptions<DataFileOptions>
{
    public ValidateOptionsResult Validate(string? name, DataFileOptions o)
    {
        var problems = new List<string>();
        if (o.MaxBytes < 1) problems.Add($"Files:MaxBytes {o.MaxBytes} must be at least 1");
        if (o.QuotaBytes < 0) problems.Add($"Files:QuotaBytes {o.QuotaBytes} must not be negative");
        if (o.MaxLinkLifetime < TimeSpan.FromSeconds(1)) problems.Add($"Files:MaxLinkLifetime {o.MaxLinkLifetime} must be at least 1 second");
        if (o.BootLinkLifetime < TimeSpan.FromMinutes(1)) problems.Add($"Files:BootLinkLifetime {o.BootLinkLifetime} must be at least 1 minute");
        if (o.StartupScriptTimeout < TimeSpan.FromSeconds(1)) problems.Add($"Files:StartupScriptTimeout {o.StartupScriptTimeout} must be at least 1 second");
        if (o.MaxUnpackedBytes < 1) problems.Add($"Files:MaxUnpackedBytes {o.MaxUnpackedBytes} must be at least 1");
        var folder = o.ResolveFolder(environment.ContentRootPath);
        if (folder is null) problems.Add("Files:Folder is empty and this account has no home folder: set it to a folder only the Director can read");
        else if (File.Exists(folder)) problems.Add($"Files:Folder '{folder}' is a file, not a folder");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
