using System.Collections.Concurrent;
using System.Security.Cryptography;

/// <summary>
/// The service's startup script and code archive (README, Data files): each fetched once through its one-time link
/// into &lt;boot folder&gt;/files/&lt;KIND&gt; (mode 0600) and kept only when its SHA-256 is the one the Director wrote
/// in the boot context; then the archive is unpacked into &lt;boot folder&gt;/code and the script run in the boot
/// folder. The VM answers /health once this is done, as ConPaaS started a VM's services after its contextualisation.
/// </summary>
internal static class BootFiles
{
    /// <summary>Without a limit in the boot context (a Director from before they were sent): the Director's defaults.</summary>
    private static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromMinutes(4);
    private const long DefaultMaxUnpackedBytes = 1024L * 1024 * 1024;

    /// <summary>What became of each file (downloaded: "verified", or why not; then unpacked or run), as GET /files shows it.</summary>
    public static readonly ConcurrentDictionary<string, object> States = new();

    private static readonly TaskCompletionSource Finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The files are fetched, the archive unpacked and the script has finished (or there were none).</summary>
    public static bool Done => Finished.Task.IsCompleted;

    public static async Task Fetch(BootContext boot, string bootFolder, HttpMessageHandler trust, CancellationToken ct)
    {
        try
        {
            if (boot.Files is { Count: > 0 } files) await Use(boot, files, bootFolder, trust, ct);
        }
        finally
        {
            Finished.TrySetResult();
        }
    }

    private static async Task Use(BootContext boot, IReadOnlyList<BootFile> files, string bootFolder, HttpMessageHandler trust, CancellationToken ct)
    {
        var folder = Path.Combine(bootFolder, "files");
        using var http = new HttpClient(trust) { Timeout = TimeSpan.FromMinutes(5) };
        Directory.CreateDirectory(folder);
        var verified = new Dictionary<string, (BootFile File, string Path)>();
        foreach (var file in files)
        {
            // The kind is one of the Director's names; the user's file name is never a path here.
            var target = Path.Combine(folder, file.Kind is "STARTUP_SCRIPT" or "ARCHIVE" ? file.Kind : "OTHER");
            string state;
            try
            {
                state = await Download(http, file, target, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or UriFormatException)
            {
                state = "failed: " + ex.Message;
            }

            if (state == "verified") verified[file.Kind] = (file, target);
            Show(boot, file, ("state", state));
        }

        // The archive first: the script may use ./code.
        if (verified.TryGetValue("ARCHIVE", out var archive))
        {
            string unpacked;
            try
            {
                unpacked = "unpacked into code: " + Archives.Unpack(archive.Path, Path.Combine(bootFolder, "code"),
                    archive.File.MaxUnpackedBytes ?? DefaultMaxUnpackedBytes);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                unpacked = "refused: " + ex.Message;
            }

            Show(boot, archive.File, ("state", "verified"), ("unpacked", unpacked));
        }

        if (verified.TryGetValue("STARTUP_SCRIPT", out var script))
        {
            Show(boot, script.File, ("state", "verified"), ("run", "running"));
            var limit = script.File.TimeLimitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeLimit;
            StartupScript.Outcome outcome;
            try
            {
                outcome = await StartupScript.Run(script.Path, bootFolder, limit, new Dictionary<string, string>
                {
                    ["CONPAAS_VM_NAME"] = boot.Name, ["CONPAAS_ROLE"] = boot.Role, ["CONPAAS_SERVICE_TYPE"] = boot.ServiceType,
                    ["CONPAAS_CODE"] = Path.Combine(bootFolder, "code"),
                }, ct);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
            {
                // No shell, or a folder it cannot write: said where the user looks, not lost in a task nobody awaits.
                Show(boot, script.File, ("state", "verified"), ("run", "failed: " + ex.Message));
                return;
            }

            var run = outcome.TimedOut ? $"killed after {limit.TotalSeconds:0} s" : outcome.ExitCode is { } code ? $"exited {code}" : "stopped";
            Show(boot, script.File, ("state", "verified"), ("run", run), ("exitCode", outcome.ExitCode), ("log", StartupScript.LogName),
                ("lastLines", outcome.LastLines));
        }
    }

    /// <summary>GET /files: the file's facts and what became of it so far.</summary>
    private static void Show(BootContext boot, BootFile file, params (string Key, object? Value)[] outcome)
    {
        var facts = new Dictionary<string, object?> { ["kind"] = file.Kind, ["name"] = file.Name, ["sha256"] = file.Sha256, ["size"] = file.Size };
        foreach (var (key, value) in outcome) facts[key] = value;
        States[file.Kind] = facts;
        Console.WriteLine($"{boot.Name}: {file.Kind} '{file.Name}': {string.Join(", ", outcome.Where(o => o.Key != "lastLines").Select(o => $"{o.Key} {o.Value}"))}");
    }

    private static async Task<string> Download(HttpClient http, BootFile file, string target, CancellationToken ct)
    {
        using var response = await http.GetAsync(file.Url, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) return $"failed: the Director answered {(int)response.StatusCode}";

        var partial = target + ".part";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        await using (var output = new FileStream(partial, create))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            return $"checksum mismatch: received {actual}";
        }

        File.Move(partial, target, overwrite: true);
        return "verified";
    }
}

/// <summary>A file of the boot context (the Director's BootFile).</summary>
internal sealed record BootFile(string Kind, string Name, string Url, string Sha256, long Size, int? TimeLimitSeconds = null, long? MaxUnpackedBytes = null);
