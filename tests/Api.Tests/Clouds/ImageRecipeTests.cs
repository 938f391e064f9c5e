using Conpaas.Fakes;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Conpaas.Api.Tests.CloudAgents;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Catalogue;
using Xunit;

namespace Conpaas.Api.Tests.Clouds;

/// <summary>
/// The image recipe (images/) cannot run here; what can be checked is: its scripts parse, the ports it opens are the
/// catalogue's, and the user data boots from the agent it pre-installs without the download.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ImageRecipeTests
{
    private static readonly string Images = Path.Combine(Repo.Root, "images");

    [Theory]
    [InlineData("prepare-vm.sh")]
    [InlineData("build-image.sh")]
    [InlineData("ec2-security-group.sh")]
    public async Task The_scripts_parse(string script)
    {
        var (code, output) = await Run("bash", ["-n", Path.Combine(Images, script)], new Dictionary<string, string>());
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_security_group_opens_every_service_type_s_ports()
    {
        var script = File.ReadAllText(Path.Combine(Images, "ec2-security-group.sh"));
        var ports = Regex.Match(script, "^PORTS=\"([0-9 ]+)\"$", RegexOptions.Multiline).Groups[1].Value.Split(' ').Select(int.Parse);
        Assert.Equal(ServiceTypes.All.SelectMany(t => t.Ports).Append(UserData.AgentPort).Distinct().Order(), ports);
    }

    [Fact]
    public async Task A_vm_whose_image_holds_the_agent_boots_without_the_download()
    {
        // The image puts the tarball where the user data looks for it.
        Assert.Contains("ROOT=/opt/conpaas\n", await File.ReadAllTextAsync(Path.Combine(Images, "prepare-vm.sh"), Wait.Ct));
        var root = Directory.CreateTempSubdirectory("conpaas-image-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(root, "ConPaaS.tar.gz"), AgentPackage.Director.Get().Bytes, Wait.Ct);
            var id = Guid.CreateVersion7();
            var name = $"conpaas-image-test-{id:N}";
            // Nothing answers on port 9: neither the Director nor the metadata service can be reached.
            var script = UserData.Build(new BootContext(id, name, "AGENT", "node", "helloworld", null, null, [], null, "http://127.0.0.1:9", "vm_x"),
                AgentPackage.Director.Get());
            var file = Path.Combine(root, "user-data");
            await File.WriteAllTextAsync(file, script, Wait.Ct);

            var (code, output) = await Run("sh", [file], new Dictionary<string, string>
            {
                ["CONPAAS_ROOT"] = root, ["CONPAAS_METADATA_URL"] = "http://127.0.0.1:9",
            });

            Assert.True(code == 0, output);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, "boot.json")));
            Assert.True(File.Exists(Path.Combine(root, "ConPaaS", "Conpaas.Agent.dll")));
            await Wait.Eventually(() => AgentProcess.Of(root).Any(a => a.VmName == name), Wait.Short, "the agent started");
        }
        finally
        {
            AgentProcess.KillAll(root);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> Run(string program, string[] args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Wait.Ct);
        var stderr = process.StandardError.ReadToEndAsync(Wait.Ct);
        await process.WaitForExitAsync(Wait.Ct);
        return (process.ExitCode, await stdout + await stderr);
    }
}
