using Conpaas.EventStore.Files;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Files;
using Conpaas.Api.Tests.Agents;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Manifests;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Files;

/// <summary>The local cloud with a content folder, and a Director:Url at which its agents reach this host.</summary>
public sealed class FilesCloud : LocalCloudApp
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("conpaas-files-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Files:Folder"] = Folder };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A service's startup script and archive reach every VM it boots, through one-time links, checked by SHA-256; the
/// agent unpacks the archive and runs the script before it answers as ready.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(RealProcesses.Name)]
public sealed class BootLinkTests(FilesCloud app) : IClassFixture<FilesCloud>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task every_vm_of_a_service_downloads_its_startup_script_and_archive_once_and_verifies_them()
    {
        // The port is known once the host listens; boot contexts read Director:Url when they are made.
        app.Services.GetRequiredService<IConfiguration>()["Director:Url"] = app.BaseAddress.ToString().TrimEnd('/');
        var client = await app.NewUser();
        var user = new CloudUser(client);
        var service = await user.AddService(await user.CreateApplication());
        var script = Encoding.UTF8.GetBytes("#!/bin/sh\necho booted > booted\n");
        // Not an archive: the agent refuses to unpack it, and the VM boots all the same.
        var archive = Uploads.RandomBytes(300_000);
        foreach (var (kind, bytes, name) in new[] { ("STARTUP_SCRIPT", script, "start.sh"), ("ARCHIVE", archive, "code.tar.gz") })
        {
            var file = (await client.Upload(bytes, name))["id"]!.GetValue<string>();
            await client.Ok("mutation($s: ID!, $k: ServiceFileKind!, $f: ID!) { setServiceFile(serviceId: $s, kind: $k, fileId: $f) { kind } }",
                new { s = service, k = kind, f = file });
        }

        await user.Start(service);
        var running = await user.WaitFor(service, "RUNNING");
        var nodes = running.LiveNodes();
        Assert.Equal(2, nodes.Count);

        foreach (var node in nodes)
        {
            var files = await Wait.Until(async () => JsonNode.Parse(await AgentHttp.Get(node.Str("address"), "/files") ?? "[]")!.AsArray(),
                a => a.Count == 2 && a.All(f => f!["state"]!.GetValue<string>() == "verified"), Wait.Short,
                $"{node.Str("name")} has verified both files", a => a.FirstOrDefault(f => f!["state"]!.GetValue<string>() != "verified")?.ToJsonString());
            Assert.Equal([Uploads.Sha256(archive), Uploads.Sha256(script)],
                files.OrderBy(f => f!["kind"]!.GetValue<string>()).Select(f => f!["sha256"]!.GetValue<string>()));

            var folder = Path.Combine(app.CloudDirectory, node.Str("name"));
            Assert.Equal(script, await File.ReadAllBytesAsync(Path.Combine(folder, "files", "STARTUP_SCRIPT"), Ct));
            Assert.Equal(archive, await File.ReadAllBytesAsync(Path.Combine(folder, "files", "ARCHIVE"), Ct));

            // The links in the VM's boot context were good for that one download.
            var boot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "boot.json"), Ct))!;
            foreach (var link in boot["files"]!.AsArray())
            {
                using var again = await client.Http.GetAsync(link!["url"]!.GetValue<string>(), Ct);
                Assert.Equal(System.Net.HttpStatusCode.NotFound, again.StatusCode);
            }
        }

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        Assert.Equal(0, await session.Query<FileLink>().CountAsync(Ct));
    }

    [Fact]
    public async Task a_manifest_names_a_script_and_an_archive_and_every_vm_runs_the_script_on_the_unpacked_code_before_it_is_ready()
    {
        app.Services.GetRequiredService<IConfiguration>()["Director:Url"] = app.BaseAddress.ToString().TrimEnd('/');
        var client = await app.NewUser();
        var user = new CloudUser(client);
        // The README's example, as its tour uploads it.
        const string page = "<h1>Hello from the archive</h1>\n";
        await client.Upload(await File.ReadAllBytesAsync(Path.Combine(Repo.Root, "examples", "manifests", "hello-start.sh"), Ct), "hello-start.sh");
        await client.Upload(TestArchives.TarGz(TestArchives.File("index.html", page)), "hello-site.tar.gz");

        var applied = (await client.Ok(ManifestTests.Apply, new { m = ManifestTests.Example("helloworld-startup.json", "site-" + Guid.NewGuid().ToString("N")[..8]) }))
            ["applyManifest"]!;
        var service = Assert.Single(applied["application"]!.Items("services")).Str("id");
        var nodes = (await user.WaitFor(service, "RUNNING")).LiveNodes();

        Assert.Equal(2, nodes.Count);
        foreach (var node in nodes)
        {
            // Ready means done: the agent's state is final once the VM is.
            var files = JsonNode.Parse(await AgentHttp.Get(node.Str("address"), "/files") ?? "[]")!.AsArray().ToDictionary(f => f!.Str("kind"));
            Assert.Equal($"unpacked into code: 1 files, {page.Length} bytes", files["ARCHIVE"]!.Str("unpacked"));
            var run = files["STARTUP_SCRIPT"]!;
            Assert.Equal(("exited 0", 0), (run.Str("run"), run["exitCode"]!.GetValue<int>()));
            Assert.Equal($"{node.Str("name")} ({node.Str("role")}) greets with {page.Length} bytes", Assert.Single(run["lastLines"]!.AsArray())!.GetValue<string>());

            var folder = Path.Combine(app.CloudDirectory, node.Str("name"));
            Assert.Equal(page, await File.ReadAllTextAsync(Path.Combine(folder, "greeting.html"), Ct));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "startup.log")));

            // The Director's limits (Files:StartupScriptTimeout, Files:MaxUnpackedBytes) reach the agent with the files.
            var boot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "boot.json"), Ct))!["files"]!.AsArray().ToDictionary(f => f!.Str("kind"));
            Assert.Equal(240, boot["STARTUP_SCRIPT"]!["timeLimitSeconds"]!.GetValue<int>());
            Assert.Equal(1024L * 1024 * 1024, boot["ARCHIVE"]!["maxUnpackedBytes"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task a_vm_is_not_ready_before_its_startup_script_has_finished()
    {
        app.Services.GetRequiredService<IConfiguration>()["Director:Url"] = app.BaseAddress.ToString().TrimEnd('/');
        var client = await app.NewUser();
        var user = new CloudUser(client);
        var service = await user.AddService(await user.CreateApplication());
        // Far longer than the readiness polls (0.2 s here), far shorter than the time limit.
        var file = (await client.Upload(Encoding.UTF8.GetBytes("sleep 3\necho done > finished\n"), "slow.sh"))["id"]!.GetValue<string>();
        await client.Ok("mutation($s: ID!, $f: ID!) { setServiceFile(serviceId: $s, kind: STARTUP_SCRIPT, fileId: $f) { kind } }", new { s = service, f = file });

        await user.Start(service);
        var nodes = (await user.WaitFor(service, "RUNNING")).LiveNodes();

        Assert.All(nodes, node => Assert.True(File.Exists(Path.Combine(app.CloudDirectory, node.Str("name"), "finished")),
            $"{node.Str("name")} was ready before its startup script had finished"));
    }
}
