using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Conpaas.Api.Downloads;

/// <summary>
/// cps as self-contained binaries for people without the .NET SDK: GET /download/cps-linux-x64 (and -arm64, and
/// .sha256 beside each, like ConPaaS.tar.gz), no sign-in needed. scripts/cps-publish.sh builds them into the folder
/// Director:CpsDownloadDirectory (default: cps/ next to the Director); a binary not built there is a 404 that says so.
/// </summary>
public static class CpsDownloads
{
    public static readonly string[] Platforms = ["linux-x64", "linux-arm64"];

    public const string DirectoryKey = "Director:CpsDownloadDirectory";

    /// <summary>Checksums by path, size and time: a binary rebuilt in place gets a new one.</summary>
    private static readonly ConcurrentDictionary<(string, long, DateTime), string> Checksums = new();

    public static WebApplication MapCpsDownloads(this WebApplication app)
    {
        var folder = app.Configuration[DirectoryKey] is { Length: > 0 } configured ? configured : Path.Combine(AppContext.BaseDirectory, "cps");
        foreach (var platform in Platforms)
        {
            var name = "cps-" + platform;
            var path = Path.Combine(folder, name);
            app.MapGet("/download/" + name, () => File.Exists(path)
                ? Results.File(path, "application/octet-stream", name)
                : NotBuilt(name));
            app.MapGet("/download/" + name + ".sha256", async (CancellationToken ct) => File.Exists(path)
                ? Results.Text($"{await Sha256(path, ct)}  {name}\n", "text/plain")
                : NotBuilt(name));
        }

        return app;
    }

    private static IResult NotBuilt(string name) => Results.Text(
        $"{name} is not available on this Director: its operator builds it with scripts/cps-publish.sh. " +
        "Meanwhile: dotnet tool install --global cps (README, \"Installing cps\").\n", "text/plain", statusCode: StatusCodes.Status404NotFound);

    private static async Task<string> Sha256(string path, CancellationToken ct)
    {
        var file = new FileInfo(path);
        var key = (path, file.Length, file.LastWriteTimeUtc);
        if (Checksums.TryGetValue(key, out var known)) return known;
        await using var stream = file.OpenRead();
        var sum = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        Checksums[key] = sum;
        return sum;
    }
}
