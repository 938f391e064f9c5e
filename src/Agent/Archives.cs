using System.Formats.Tar;
using System.IO.Compression;

/// <summary>
/// Unpacks a service's code archive (.tar.gz or .zip) into a folder, refusing what could write elsewhere: an entry
/// with an absolute path or a ".." segment, a link whose target leaves the folder, an entry written through a link,
/// a device or a hard link; and stopping at a bound on the bytes unpacked. All or nothing: it unpacks into
/// &lt;target&gt;.part and moves that into place only when every entry was accepted.
/// </summary>
internal static class Archives
{
    /// <summary>Empty files cost no bytes but an inode each: a bound of its own.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>What was unpacked ("N files, B bytes"); InvalidDataException says why an archive was refused.</summary>
    public static string Unpack(string archive, string target, long maxBytes)
    {
        var partial = target + ".part";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            var root = Path.GetFullPath(partial);
            var unpacked = new Unpacked(root, maxBytes);
            using (var input = File.OpenRead(archive))
            {
                Span<byte> magic = stackalloc byte[4];
                var read = input.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
                input.Position = 0;
                if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) UnpackTar(input, unpacked);
                else if (read == 4 && magic.SequenceEqual("PK\x03\x04"u8)) UnpackZip(input, unpacked);
                else throw new InvalidDataException("not a .tar.gz or .zip archive");
            }

            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(partial, target);
            return $"{unpacked.Files} files, {unpacked.Bytes} bytes";
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    private static void UnpackTar(Stream input, Unpacked into)
    {
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    into.Directory(entry.Name);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    into.File(entry.Name, entry.DataStream ?? Stream.Null, Executable(entry.Mode));
                    break;
                case TarEntryType.SymbolicLink:
                    into.Link(entry.Name, entry.LinkName);
                    break;
                // Metadata of the next entry or of the archive, read by TarReader itself.
                case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes or TarEntryType.LongLink or TarEntryType.LongPath:
                    break;
                default:
                    throw new InvalidDataException($"'{entry.Name}': a {entry.EntryType} entry is not unpacked (files, folders and links only)");
            }
        }
    }

    private static void UnpackZip(Stream input, Unpacked into)
    {
        using var zip = new ZipArchive(input, ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            // The Unix mode, when the archive was made on Unix, is in the high half of the external attributes.
            var mode = (UnixFileMode)((entry.ExternalAttributes >> 16) & 0xFFF);
            const int symlink = 0xA000;
            if (((entry.ExternalAttributes >> 16) & 0xF000) == symlink)
            {
                using var reader = new StreamReader(entry.Open());
                into.Link(entry.FullName, reader.ReadToEnd());
            }
            else if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\')) into.Directory(entry.FullName);
            else
            {
                using var data = entry.Open();
                into.File(entry.FullName, data, Executable(mode));
            }
        }
    }

    private static bool Executable(UnixFileMode mode) =>
        (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>The folder being filled, and what it holds so far.</summary>
    private sealed class Unpacked(string root, long maxBytes)
    {
        public long Bytes { get; private set; }
        public int Files { get; private set; }
        private int _entries;

        public void Directory(string name)
        {
            var path = Place(name);
            if (path == root) return;
            System.IO.Directory.CreateDirectory(path);
        }

        public void File(string name, Stream data, bool executable)
        {
            var path = Place(name);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Only the owner: the VM's folder holds its credential, and the code is the user's.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
            using var output = new FileStream(path, options);
            var buffer = new byte[81920];
            int read;
            while ((read = data.Read(buffer)) > 0)
            {
                // Counted as written: a header's size is the archive's word, not a bound.
                Bytes += read;
                if (Bytes > maxBytes) throw new InvalidDataException($"it unpacks to more than {maxBytes} bytes (Files:MaxUnpackedBytes)");
                output.Write(buffer, 0, read);
            }

            Files++;
        }

        public void Link(string name, string target)
        {
            var path = Place(name);
            if (target.Length == 0 || Path.IsPathRooted(target) || !Inside(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, target))))
                throw new InvalidDataException($"'{name}': a link to '{target}' leaves the archive's folder");
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.CreateSymbolicLink(path, target);
        }

        /// <summary>
        /// Where an entry goes: a relative path without "..", under no link the archive made (a link is only ever
        /// created, never written through) and not on top of an existing entry.
        /// </summary>
        private string Place(string name)
        {
            if (++_entries > MaxEntries) throw new InvalidDataException($"it has more than {MaxEntries} entries");
            var segments = name.Split('/', '\\');
            if (name.Length == 0 || Path.IsPathRooted(name) || name.StartsWith('/') || name.StartsWith('\\') || segments.Contains(".."))
                throw new InvalidDataException($"'{name}': an entry's path must be relative, without '..'");
            var path = Path.GetFullPath(Path.Combine(root, Path.Combine(segments.Where(s => s is not ("" or ".")).ToArray())));
            if (!Inside(path)) throw new InvalidDataException($"'{name}' is outside the archive's folder");

            for (var at = path; at != root; at = Path.GetDirectoryName(at)!)
                if (new FileInfo(at).LinkTarget is not null)
                    throw new InvalidDataException($"'{name}' would be written through a link");
            if (path != root && System.IO.File.Exists(path)) throw new InvalidDataException($"'{name}' is in the archive twice");
            return path;
        }

        private bool Inside(string path) => path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
