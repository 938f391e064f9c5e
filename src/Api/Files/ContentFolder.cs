using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>An uploaded part written to a private temporary file while it arrived, hashed on the way.</summary>
public sealed record SpooledFile(string TempPath, string? FileName, long Size, string Sha256);

/// <summary>
/// Contents on disk, addressed by owner and SHA-256: &lt;folder&gt;/&lt;owner&gt;/&lt;sha256&gt; (folders 0700, files 0600),
/// so one owner's same content is stored once. Uploads are streamed to &lt;folder&gt;/.incoming first (same file
/// system, so that placing one is an atomic rename) and never held in memory.
/// </summary>
public sealed class ContentFolder(IOptions<DataFileOptions> options, IHostEnvironment environment)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = Private | UnixFileMode.UserExecute;

    private readonly string _root = options.Value.ResolveFolder(environment.ContentRootPath)!;

    /// <summary>
    /// Copies <paramref name="body"/> to a new temporary file; null (and nothing kept) once it passes
    /// <paramref name="maxBytes"/>, without reading the rest.
    /// </summary>
    public async Task<SpooledFile?> Spool(Stream body, string? fileName, long maxBytes, CancellationToken ct)
    {
        var path = Path.Combine(Folder(".incoming"), Guid.NewGuid().ToString("N"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows()) create.UnixCreateMode = Private;
            await using (var file = new FileStream(path, create))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        file.Close();
                        File.Delete(path);
                        return null;
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }

            return new SpooledFile(path, fileName, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Moves a spooled file to its place; when the owner already has that content, the copy is dropped.</summary>
    public void Place(Guid ownerId, SpooledFile spooled)
    {
        var target = PathOf(ownerId, spooled.Sha256, create: true);
        if (File.Exists(target)) File.Delete(spooled.TempPath);
        else File.Move(spooled.TempPath, target, overwrite: true);
    }

    public bool Has(Guid ownerId, string sha256) => File.Exists(PathOf(ownerId, sha256, create: false));

    public FileStream Open(Guid ownerId, string sha256) =>
        new(PathOf(ownerId, sha256, create: false), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);

    public void Remove(Guid ownerId, string sha256) => File.Delete(PathOf(ownerId, sha256, create: false));

    /// <summary>Removes what an upload spooled and did not place (a refused or failed request).</summary>
    public static void Discard(SpooledFile spooled) => File.Delete(spooled.TempPath);

    private string PathOf(Guid ownerId, string sha256, bool create)
    {
        // The hash is ours (hex of SHA-256), never a client's text: no path can be smuggled in.
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower)) throw new ArgumentException("not a SHA-256 in hex", nameof(sha256));
        var owner = ownerId.ToString("N");
        return Path.Combine(create ? Folder(owner) : Path.Combine(_root, owner), sha256);
    }

    private string Folder(string name)
    {
        var path = Path.Combine(_root, name);
        if (!Directory.Exists(path))
        {
            foreach (var folder in new[] { _root, path })
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
                else Directory.CreateDirectory(folder, PrivateFolder);
        }

        return path;
    }
}
