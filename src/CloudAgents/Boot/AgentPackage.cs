using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace Conpaas.CloudAgents.Boot;

/// <summary>
/// The agent as a download (the original's ConPaaS.tar.gz): the agent's files shipped next to the Director, packed at
/// the first request into a gzipped tarball under ConPaaS/ with a VERSION file. The archive is deterministic (fixed
/// times, owners and order), so every Director node of one build serves the same bytes and the same SHA-256.
/// The agent is framework-dependent: a VM runs it with its .NET runtime (the image recipe installs one).
/// </summary>
public sealed class AgentPackage(string? agentDirectory = null)
{
    public const string FileName = "ConPaaS.tar.gz";

    /// <summary>The files of the agent's build output that make it run.</summary>
    private static readonly string[] Files = ["Conpaas.Agent.dll", "Conpaas.Agent.runtimeconfig.json", "Conpaas.Agent.deps.json"];

    private static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lazy<Package> _package = new(() => Pack(agentDirectory ?? AppContext.BaseDirectory));

    /// <summary>The package of the agent shipped next to this Director (what the download endpoints serve).</summary>
    public static AgentPackage Director { get; } = new();

    public sealed record Package(byte[] Bytes, string Sha256, string Version);

    public Package Get() => _package.Value;

    /// <summary>Unpacks the tarball into a VM's folder (replacing an earlier copy), as a VM's user data does; the agent to run.</summary>
    public string Unpack(string folder)
    {
        TarFile.ExtractToDirectory(new GZipStream(new MemoryStream(Get().Bytes), CompressionMode.Decompress), folder, overwriteFiles: true);
        return Path.Combine(folder, "ConPaaS", "Conpaas.Agent.dll");
    }

    private static Package Pack(string directory)
    {
        var version = typeof(AgentPackage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(Entry(TarEntryType.Directory, "ConPaaS/", null));
            tar.WriteEntry(Entry(TarEntryType.RegularFile, "ConPaaS/VERSION", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(version + "\n"))));
            foreach (var file in Files)
            {
                var path = Path.Combine(directory, file);
                if (!File.Exists(path)) throw new FileNotFoundException($"The agent's {file} is not next to the Director (in {directory})", path);
                tar.WriteEntry(Entry(TarEntryType.RegularFile, "ConPaaS/" + file, new MemoryStream(File.ReadAllBytes(path))));
            }
        }

        var bytes = buffer.ToArray();
        return new Package(bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), version);
    }

    private static UstarTarEntry Entry(TarEntryType type, string name, Stream? data)
    {
        var entry = new UstarTarEntry(type, name)
        {
            ModificationTime = Epoch,
            Mode = type == TarEntryType.Directory
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                  | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        if (data is not null) entry.DataStream = data;
        return entry;
    }
}
