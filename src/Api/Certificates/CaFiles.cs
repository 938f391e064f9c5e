using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>The CA folder on disk: its file names, the key's permissions, atomic writes and the lock that lets one node create the CA.</summary>
public static class CaFiles
{
    public const string CertificateFile = "ca.crt";
    public const string KeyFile = "ca.key";
    public const string LockFile = "ca.lock";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                               | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Why the CA key may not be used (any permission for group or others), or null when it is fine or absent.</summary>
    public static string? KeyProblem(string keyPath)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(keyPath)) return null;
        var mode = File.GetUnixFileMode(keyPath);
        return (mode & GroupOrOthers) == 0
            ? null
            : $"{CertificateOptions.CaDirectoryKey}: the CA key {keyPath} may be read by others (mode {Octal(mode)}); " +
              $"only the Director may read it: run 'chmod 600 {keyPath}'";
    }

    /// <summary>A start-up failure that names the setting, as bad settings do (the Director prints it and exits with 2).</summary>
    public static OptionsValidationException Failure(string message) =>
        new(CertificateOptions.CaDirectoryKey, typeof(CertificateOptions),
            [message.StartsWith(CertificateOptions.CaDirectoryKey, StringComparison.Ordinal) ? message : $"{CertificateOptions.CaDirectoryKey}: {message}"]);

    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// Writes a whole file or nothing: into a new temporary file created with its final permissions, then renamed into
    /// place, so that no reader ever sees half a key and the key is never readable by others, not even for a moment.
    /// </summary>
    public static void WriteAtomically(string path, string text, bool secret, bool overwrite)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = secret ? OwnerOnly : OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                using var writer = new StreamWriter(stream);
                writer.Write(text);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// An exclusive lock on ca.lock (flock on Linux, across processes and hosts sharing the folder), held until disposed.
    /// Waits while another node holds it.
    /// </summary>
    public static FileStream Lock(string folder, TimeSpan timeout)
    {
        var path = Path.Combine(folder, LockFile);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                Thread.Sleep(Random.Shared.Next(20, 100));
            }
            catch (IOException ex)
            {
                throw Failure($"could not lock {path} within {timeout.TotalSeconds:0} s (another Director node holds it, or the folder does not support locks): {ex.Message}");
            }
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
