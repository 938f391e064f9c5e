using System.Collections.Concurrent;
using System.Security.Cryptography;

/// <summary>
/// The service's startup script and code archive (README, Data files): each fetched once through its one-time link
/// into &lt;boot folder&gt;/files/&lt;KIND&gt; (mode 0600) and kept only when its SHA-256 is the one the Director wrote
/// in the boot context. Not run or unpacked yet: the agent serves no role that would use them.
/// </summary>
internal static class BootFiles
{
    /// <summary>What became of each file ("verified", or why not), as GET /files shows it.</summary>
    public static readonly ConcurrentDictionary<string, object> States = new();

    public static async Task Fetch(BootContext boot, string folder, HttpMessageHandler trust, CancellationToken ct)
    {
        if (boot.Files is not { Count: > 0 } files) return;
        using var http = new HttpClient(trust) { Timeout = TimeSpan.FromMinutes(5) };
        Directory.CreateDirectory(folder);
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

            States[file.Kind] = new { kind = file.Kind, name = file.Name, sha256 = file.Sha256, size = file.Size, state };
            Console.WriteLine($"{boot.Name}: {file.Kind} '{file.Name}': {state}");
        }
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
internal sealed record BootFile(string Kind, string Name, string Url, string Sha256, long Size);
