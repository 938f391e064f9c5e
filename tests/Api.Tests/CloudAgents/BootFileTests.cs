using System.Runtime.InteropServices;
using Conpaas.CloudAgents.Drivers;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>The local cloud's boot context holds the VM's credential and private key: nobody else may ever read it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BootFileTests
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                               | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task a_boot_context_is_never_readable_by_others_not_even_while_it_is_written()
    {
        var folder = Directory.CreateTempSubdirectory("conpaas-boot-").FullName;
        var path = Path.Combine(folder, "boot.json");
        var secret = new string('k', 4 << 20);
        // The usual umask (022) lets a plainly created file be read by everyone: the writer must not rely on a stricter one.
        var previous = umask(0b000_010_010);
        var seen = new List<UnixFileMode>();
        using var stop = new CancellationTokenSource();
        try
        {
            // Looks at the file as fast as it can while it is created and written, again and again.
            var watcher = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var mode = File.GetUnixFileMode(path);
                        if ((mode & GroupOrOthers) != 0) lock (seen) seen.Add(mode);
                    }
                    catch (FileNotFoundException)
                    {
                    }
                }
            }, TestContext.Current.CancellationToken);
            for (var i = 0; i < 30; i++)
            {
                await LocalDriver.WriteOwnerOnly(path, secret, TestContext.Current.CancellationToken);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                Assert.Equal(secret.Length, new FileInfo(path).Length);
                File.Delete(path);
            }

            await stop.CancelAsync();
            await watcher;
        }
        finally
        {
            umask(previous);
            Directory.Delete(folder, recursive: true);
        }

        Assert.True(seen.Count == 0, $"boot.json was readable by others while written: {string.Join(", ", seen.Distinct())}");
    }

    [Fact]
    public async Task a_boot_context_left_with_a_loose_mode_is_replaced_by_an_owner_only_one()
    {
        var folder = Directory.CreateTempSubdirectory("conpaas-boot-").FullName;
        try
        {
            var path = Path.Combine(folder, "boot.json");
            await File.WriteAllTextAsync(path, "old", TestContext.Current.CancellationToken);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

            await LocalDriver.WriteOwnerOnly(path, "new", TestContext.Current.CancellationToken);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal("new", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint umask(uint mask);
}
