using System.Net;
using System.Security.Cryptography;
using System.Text;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>A Director whose data files go to a temporary folder of their own (not ~/.conpaas/files), 4 MiB per upload.</summary>
public sealed class FilesDirectorApp : DirectorApp
{
    public const long MaxBytes = 4 * 1024 * 1024;

    public string Folder { get; } = Directory.CreateTempSubdirectory("cps-files-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Files:Folder"] = Folder,
        ["Files:MaxBytes"] = MaxBytes.ToString(),
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>cps file upload|list|link|delete and cps service file, against the real Director: no curl needed.</summary>
public sealed class FileCommandTests(FilesDirectorApp director) : IClassFixture<FilesDirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A local file with these bytes, in a folder of its own.</summary>
    private static string LocalFile(string name, byte[] bytes)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cps-upload-").FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task upload_list_link_and_delete_by_name_and_by_id()
    {
        var ann = await director.NewUser();
        var script = Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n");
        var odd = Encoding.UTF8.GetBytes("données ✓\n");
        const string oddName = "mes données – ü ✓.txt";

        var uploaded = await ann.Ok("file", "upload", LocalFile("start.sh", script));
        var scriptId = (await ann.Json("file", "list"))["files"]!["files"]![0]!["id"]!.GetValue<string>();
        Assert.Equal($"File 'start.sh' uploaded: {script.Length} bytes (id {scriptId})\n", uploaded.Out);

        // The stored name is the local file's, spaces and all, sent as filename* (no --name).
        var oddFile = (await ann.Json("file", "upload", LocalFile(oddName, odd)))["uploadFile"]!;
        Assert.Equal(oddName, oddFile["name"]!.GetValue<string>());
        Assert.Equal(odd.Length, oddFile["size"]!.GetValue<long>());
        Assert.Equal(Sha256(odd), oddFile["sha256"]!.GetValue<string>());
        var renamed = (await ann.Json("file", "upload", LocalFile("x.bin", odd), "--name", "ünï côdé"))["uploadFile"]!;
        Assert.Equal("ünï côdé", renamed["name"]!.GetValue<string>());

        var listed = await ann.Ok("file", "list");
        Assert.Equal(["start.sh", oddName, "ünï côdé"], listed.Column("NAME"));
        Assert.Equal([scriptId, oddFile["id"]!.GetValue<string>(), renamed["id"]!.GetValue<string>()], listed.Column("ID"));
        Assert.Equal([$"{script.Length} B", $"{odd.Length} B", $"{odd.Length} B"], listed.Column("SIZE"));
        Assert.Equal(Sha256(script)[..12], listed.Column("SHA-256")[0]);

        // The link serves the exact bytes once, to anyone; then it is gone.
        var link = (await ann.Ok("file", "link", oddName, "--ttl", "60")).Out.Trim();
        Assert.Contains("/files/links/", link);
        // Director:Url names the default port; the test host listens elsewhere.
        using var stranger = new HttpClient { BaseAddress = director.BaseAddress };
        using (var first = await stranger.GetAsync(new Uri(link).PathAndQuery, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(odd, await first.Content.ReadAsByteArrayAsync(Ct));
        }

        using (var again = await stranger.GetAsync(new Uri(link).PathAndQuery, Ct))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);

        Assert.Equal("File 'start.sh' deleted\n", (await ann.Ok("file", "delete", "start.sh")).Out);
        Assert.Equal($"File '{oddName}' deleted\n", (await ann.Ok("file", "delete", oddFile["id"]!.GetValue<string>())).Out);
        Assert.Equal(["ünï côdé"], (await ann.Ok("file", "list")).Column("NAME"));
        await ann.Fails(1, "error: You have no uploaded file named 'start.sh' (cps file list shows yours) (NOT_FOUND)", "file", "delete", "start.sh");
        await ann.Fails(1, $"error: Unknown file id {scriptId} (NOT_FOUND)", "file", "link", scriptId);

        // Someone else sees none of them.
        var bob = await director.NewUser();
        Assert.Equal("No files (cps file upload PATH adds one).\n", (await bob.Ok("file", "list")).Out);
        await bob.Fails(1, "(NOT_FOUND)", "file", "delete", renamed["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_larger_file_arrives_whole_and_quiet_prints_nothing()
    {
        var ann = await director.NewUser();
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var quiet = await ann.Ok("file", "upload", LocalFile("dump.bin", bytes), "--quiet");
        Assert.Equal("", quiet.Out);
        var file = (await ann.Json("file", "list"))["files"]!["files"]![0]!;
        Assert.Equal(bytes.Length, file["size"]!.GetValue<long>());
        Assert.Equal(Sha256(bytes), file["sha256"]!.GetValue<string>());
        Assert.Equal(["3.0 MiB"], (await ann.Ok("file", "list")).Column("SIZE"));

        // Past Files:MaxBytes the Director's own answer is shown, not a connection cut off mid-upload.
        var tooLarge = await ann.Fails(1, $"error: The files are larger than Files:MaxBytes ({FilesDirectorApp.MaxBytes} bytes)",
            "file", "upload", LocalFile("big.bin", new byte[FilesDirectorApp.MaxBytes + 1]));
        Assert.Empty(tooLarge.Out);
        Assert.Single((await ann.Json("file", "list"))["files"]!["files"]!.AsArray());
    }

    [Fact]
    public async Task an_ambiguous_name_is_refused_and_the_id_works()
    {
        var ann = await director.NewUser();
        var first = (await ann.Json("file", "upload", LocalFile("a.sh", [1]), "--name", "same"))["uploadFile"]!["id"]!.GetValue<string>();
        await ann.Ok("file", "upload", LocalFile("b.sh", [2]), "--name", "same");

        await ann.Fails(1, "error: 2 of your files are named 'same': ambiguous, use the id (cps file list shows them) (CONFLICT)", "file", "delete", "same");
        await ann.Fails(1, "ambiguous, use the id", "file", "link", "same");
        Assert.Equal(2, (await ann.Ok("file", "list")).Column("ID").Count);

        await ann.Ok("file", "delete", first);
        Assert.Equal("File 'same' deleted\n", (await ann.Ok("file", "delete", "same")).Out);
        Assert.Equal("No files (cps file upload PATH adds one).\n", (await ann.Ok("file", "list")).Out);
    }

    [Fact]
    public async Task a_missing_local_path_is_a_usage_error_and_sends_nothing()
    {
        var ann = await director.NewUser();
        var missing = Path.Combine(Directory.CreateTempSubdirectory("cps-upload-").FullName, "nope.sh");
        await ann.Fails(2, $"error: Cannot read {missing}: no such file (USAGE)", "file", "upload", missing);
        await ann.Fails(2, "is a folder, not a file (USAGE)", "file", "upload", Path.GetDirectoryName(missing)!);
        Assert.Equal("No files (cps file upload PATH adds one).\n", (await ann.Ok("file", "list")).Out);

        // Nothing is sent at all: a Director that cannot be reached is not even tried (exit 2, not 3).
        var stranger = director.NewShell();
        await stranger.Fails(2, "no such file (USAGE)", "file", "upload", missing, "--director", "http://127.0.0.1:1");
        // Without a session, nothing either: the Director would refuse the upload before reading it.
        await stranger.Fails(1, "(UNAUTHENTICATED)", "file", "upload", LocalFile("x.sh", [1]), "--director", director.BaseAddress.ToString());
    }

    [Fact]
    public async Task service_file_sets_and_shows_a_services_files_and_a_used_file_cannot_be_deleted()
    {
        var ann = await director.NewUser();
        await ann.Ok("app", "create", "shop");
        await ann.Ok("service", "add", "helloworld", "-a", "shop", "--name", "web");
        var script = Encoding.UTF8.GetBytes("#!/bin/sh\necho started\n");
        await ann.Ok("file", "upload", LocalFile("start.sh", script));
        await ann.Ok("file", "upload", LocalFile("site.tar.gz", [0x1f, 0x8b, 0]));

        Assert.Equal("Service 'web' has no startup script or archive (--startup-script FILE, --archive FILE set them).\n",
            (await ann.Ok("service", "file", "web", "-a", "shop")).Out);
        // A name that does not resolve sets nothing, not even the other one.
        await ann.Fails(1, "You have no uploaded file named 'nope.tgz'", "service", "file", "web", "--startup-script", "start.sh", "--archive", "nope.tgz");
        Assert.Contains("has no startup script", (await ann.Ok("service", "file", "web")).Out);

        var set = await ann.Ok("service", "file", "web", "--startup-script", "start.sh", "--archive", "site.tar.gz");
        Assert.Contains("Service 'web': startup script is now 'start.sh'", set.Out);
        Assert.Contains("Service 'web': code archive is now 'site.tar.gz'", set.Out);
        var shown = await ann.Ok("service", "file", "web");
        Assert.Equal(["ARCHIVE", "STARTUP_SCRIPT"], shown.Column("KIND").Order(StringComparer.Ordinal));
        Assert.Equal(Sha256(script)[..12], shown.Column("SHA-256")[shown.Column("KIND").ToList().IndexOf("STARTUP_SCRIPT")]);

        // The Director's own words, as they come.
        var refused = await ann.Fails(1, "(CONFLICT)", "file", "delete", "start.sh");
        Assert.StartsWith("error: File ", refused.Err);
        Assert.Contains("is a startup script or archive of service", refused.Err);
        Assert.Contains("start.sh", (await ann.Ok("file", "list")).Out);
    }

    [Fact]
    public async Task completion_offers_file_names_for_a_file_argument_and_the_service_file_options()
    {
        var ann = await director.NewUser();
        await ann.Ok("file", "upload", LocalFile("start.sh", [1]));
        await ann.Ok("file", "upload", LocalFile("site.tar.gz", [2]));
        await ann.Ok("file", "upload", LocalFile("other.txt", [3]));

        static IEnumerable<string> Lines(CpsResult r) => r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        Assert.Equal(["link", "list"], Lines(await ann.Ok("__complete", "--", "file", "l")));
        Assert.Equal(["site.tar.gz", "start.sh"], Lines(await ann.Ok("__complete", "--", "file", "delete", "s")));
        Assert.Equal(["site.tar.gz"], Lines(await ann.Ok("__complete", "--", "service", "file", "web", "--archive", "si")));
    }
}
