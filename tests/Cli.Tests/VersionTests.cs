using System.Net;
using System.Net.Sockets;
using System.Text;
using Conpaas.Cli.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Cli.Tests;

/// <summary>cps --version: the client's, the Director's, and a warning when the Director's contract is newer.</summary>
public sealed class VersionTests(DirectorApp director) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task version_names_cps_and_the_directors_contract_without_a_warning_when_they_match()
    {
        var shell = director.NewShell();
        var shown = await shell.Ok("--version", "--director", director.BaseAddress.ToString());
        Assert.StartsWith("cps 0.1.0 (API contract 1.1)\n", shown.Out);
        Assert.Contains($"director {director.BaseAddress.ToString().TrimEnd('/')} ", shown.Out);
        Assert.EndsWith("(API contract 1.1)\n", shown.Out);
        Assert.Equal("", shown.Err);
    }

    [Fact]
    public async Task version_works_without_a_director()
    {
        using var shell = new Cps(null);
        var shown = await shell.Ok("--version", "--director", "http://127.0.0.1:1");
        Assert.Equal("cps 0.1.0 (API contract 1.1)\n", shown.Out);
        Assert.Equal("", shown.Err);
    }

    [Fact]
    public async Task a_director_with_a_newer_contract_gets_a_warning_on_stderr()
    {
        // A Director from the future, as far as this cps can tell: it answers the version query only.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answering = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            var buffer = new byte[65536];
            var request = "";
            while (!request.Contains("contractVersion")) request += Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));
            var body = """{"data":{"version":"9.0.0","contractVersion":"1.7"}}""";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        using var shell = new Cps(null);
        var shown = await shell.Ok("--version", "--director", $"http://127.0.0.1:{port}");
        await answering;
        Assert.Contains("(API contract 1.7)", shown.Out);
        Assert.Contains($"warning: the Director at http://127.0.0.1:{port} serves API contract 1.7, newer than cps's 1.1", shown.Err);
    }
}
