using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Xunit;

namespace Conpaas.Api.Tests.Agents;

/// <summary>Archives made in memory, as a user would upload them.</summary>
public static class TestArchives
{
    public static byte[] TarGz(params TarEntry[] entries)
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var entry in entries) tar.WriteEntry(entry);
        return bytes.ToArray();
    }

    public static PaxTarEntry File(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode };

    public static PaxTarEntry Link(string name, string target, TarEntryType type = TarEntryType.SymbolicLink) => new(type, name) { LinkName = target };

    public static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write(content);
            }

        return bytes.ToArray();
    }
}

/// <summary>The agent's unpacking of a code archive (src/Agent/Archives.cs, compiled in here): hostile archives write nothing anywhere.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArchiveTests : IDisposable
{
    private readonly string _sandbox = Directory.CreateTempSubdirectory("conpaas-archive-").FullName;
    private string VmFolder => Path.Combine(_sandbox, "vm");
    private string Code => Path.Combine(VmFolder, "code");

    public ArchiveTests() => Directory.CreateDirectory(VmFolder);

    public void Dispose() => Directory.Delete(_sandbox, recursive: true);

    private string Unpack(byte[] archive, long maxBytes = 1 << 20)
    {
        var file = Path.Combine(VmFolder, "ARCHIVE");
        System.IO.File.WriteAllBytes(file, archive);
        return Archives.Unpack(file, Code, maxBytes);
    }

    /// <summary>Everything in the sandbox but the archive itself: what unpacking left behind.</summary>
    private List<string> Left() =>
        Directory.EnumerateFileSystemEntries(_sandbox, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_sandbox, f))
            .Where(f => f is not ("vm" or "vm/ARCHIVE")).Order().ToList();

    [Fact]
    public void a_tar_gz_and_a_zip_unpack_into_code_with_their_folders_executables_and_inner_links()
    {
        var result = Unpack(TestArchives.TarGz(
            TestArchives.File("app/greeting.txt", "hello"),
            TestArchives.File("app/run.sh", "echo run", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite),
            TestArchives.Link("current", "app")));

        Assert.Equal("2 files, 13 bytes", result);
        Assert.Equal("hello", System.IO.File.ReadAllText(Path.Combine(Code, "current", "greeting.txt")));
        // Only the owner, whatever the archive says: the VM's folder holds its credential.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, System.IO.File.GetUnixFileMode(Path.Combine(Code, "app", "run.sh")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(Path.Combine(Code, "app", "greeting.txt")));

        Assert.Equal("1 files, 2 bytes", Unpack(TestArchives.Zip(("web/index.php", "ok"))));
        Assert.Equal(["vm/code", "vm/code/web", "vm/code/web/index.php"], Left());
    }

    public static TheoryData<string, byte[]> Hostile => new()
    {
        { "'../evil.txt': an entry's path must be relative, without '..'", TestArchives.Zip(("ok.txt", "fine"), ("../evil.txt", "slip")) },
        { "'a/../../evil.txt': an entry's path must be relative, without '..'", TestArchives.TarGz(TestArchives.File("ok.txt", "fine"), TestArchives.File("a/../../evil.txt", "slip")) },
        { "an entry's path must be relative", TestArchives.TarGz(TestArchives.File("/tmp/conpaas-evil.txt", "absolute")) },
        { "'out': a link to '../..' leaves the archive's folder", TestArchives.TarGz(TestArchives.Link("out", "../..")) },
        { "'out': a link to '/etc' leaves the archive's folder", TestArchives.TarGz(TestArchives.Link("out", "/etc")) },
        // A link that stays inside, then a write through it: refused, whatever it points at.
        { "'here/evil.txt' would be written through a link", TestArchives.TarGz(TestArchives.Link("here", "."), TestArchives.File("here/evil.txt", "x")) },
        { "a HardLink entry is not unpacked", TestArchives.TarGz(TestArchives.Link("passwd", "/etc/passwd", TarEntryType.HardLink)) },
        { "it unpacks to more than 1000 bytes", TestArchives.TarGz(TestArchives.File("a", new string('a', 600)), TestArchives.File("b", new string('b', 600))) },
        { "not a .tar.gz or .zip archive", Encoding.UTF8.GetBytes("#!/bin/sh\necho not an archive\n") },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void a_hostile_archive_is_refused_and_nothing_is_written_anywhere(string reason, byte[] archive)
    {
        var refused = Assert.Throws<InvalidDataException>(() => Unpack(archive, maxBytes: 1000));

        Assert.Contains(reason, refused.Message);
        Assert.Empty(Left());
        Assert.False(System.IO.File.Exists("/tmp/conpaas-evil.txt"));
    }

    [Fact]
    public void a_refused_archive_leaves_the_code_that_was_there()
    {
        Unpack(TestArchives.TarGz(TestArchives.File("v1.txt", "one")));

        Assert.Throws<InvalidDataException>(() => Unpack(TestArchives.TarGz(TestArchives.File("v2.txt", "two"), TestArchives.File("../x", "slip"))));

        Assert.Equal(["vm/code", "vm/code/v1.txt"], Left());
    }
}
