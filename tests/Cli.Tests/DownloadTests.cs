using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>A Director serving cps from a folder of its own, empty until the test publishes into it.</summary>
public sealed class DownloadsApp : DirectorApp
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("cps-downloads-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Director:CpsDownloadDirectory"] = Folder,
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// cps for people without the .NET SDK: scripts/cps-publish.sh builds the self-contained binary, the Director serves it
/// at /download/cps-linux-x64 with its checksum, and what is downloaded runs. The one publish (about a minute) is
/// this test's; arm64 is left out here (the same script and endpoint).
/// </summary>
[Collection(BuildsCps.Name)]
public sealed class DownloadTests(DownloadsApp director) : IClassFixture<DownloadsApp>
{
    [Fact]
    public async Task the_director_serves_the_published_cps_binary_with_its_checksum_and_it_runs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = director.BaseAddress };

        using (var missing = await http.GetAsync("/download/cps-linux-x64", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("cps-linux-x64 is not available on this Director: its operator builds it with scripts/cps-publish.sh",
                await missing.Content.ReadAsStringAsync(ct));
        }

        var publish = new ProcessStartInfo("bash") { WorkingDirectory = Repo.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        publish.ArgumentList.Add("scripts/cps-publish.sh");
        publish.ArgumentList.Add(director.Folder);
        publish.Environment["CPS_PLATFORMS"] = "linux-x64";
        using (var process = Process.Start(publish)!)
        {
            var log = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            Assert.True(process.ExitCode == 0, await log);
        }

        var bytes = await http.GetByteArrayAsync("/download/cps-linux-x64", ct);
        var checksum = await http.GetStringAsync("/download/cps-linux-x64.sha256", ct);
        Assert.Equal($"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  cps-linux-x64\n", checksum);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/download/cps-linux-arm64.sha256", ct)).StatusCode);

        using var shell = new Cps(null);
        var downloaded = Path.Combine(Path.GetDirectoryName(shell.ConfigDirectory)!, "cps");
        await File.WriteAllBytesAsync(downloaded, bytes, ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(downloaded, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        shell.Environment["DOTNET_ROOT"] = "/nonexistent"; // self-contained: no .NET needed
        var version = await BuiltCps.Run(shell, downloaded, "--version", "--director", director.BaseAddress.ToString());
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith("cps 0.1.0 (API contract 1.1)\n", version.Out);
        Assert.Contains("director ", version.Out);
    }
}
