using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conpaas.Cli;

/// <summary>What <c>cps login</c> remembers in <c>~/.conpaas/cps.json</c> (mode 0600: it holds a session token).</summary>
public sealed record CpsSettings
{
    public const string FileName = "cps.json";
    public const string DefaultDirector = "http://127.0.0.1:5555";

    public static string DefaultDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".conpaas");

    public string? Director { get; init; }
    public string? Username { get; init; }
    public string? Token { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>The CA certificate (PEM) <c>cps trust</c> pinned, and the Director it is pinned for.</summary>
    public string? TrustedCa { get; init; }
    public string? TrustedCaDirector { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static CpsSettings Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return new CpsSettings();
        try
        {
            return JsonSerializer.Deserialize<CpsSettings>(File.ReadAllText(path), Json) ?? new CpsSettings();
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw CliError.BadUsage($"Cannot read {path}: {ex.Message} (fix or delete it, then log in again)");
        }
    }

    /// <summary>Written 0600: it holds the session token.</summary>
    public void Save(string directory) => WritePrivate(directory, FileName, stream => JsonSerializer.Serialize(stream, this, Json));

    /// <summary>
    /// A file of ~/.conpaas only its owner may read (the folder 0700): written to a new file created 0600 and renamed over
    /// the old one, so that its content is never readable by others, not even for a moment.
    /// </summary>
    public static void WritePrivate(string directory, string name, Action<Stream> write)
    {
        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, ownerOnly | UnixFileMode.UserExecute);

        var path = Path.Combine(directory, name);
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = ownerOnly;
        using (var stream = new FileStream(temporary, options))
            write(stream);
        File.Move(temporary, path, overwrite: true);
    }
}
