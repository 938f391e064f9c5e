using System.Diagnostics;
using Xunit;

namespace Conpaas.Api.Tests.Infrastructure;

/// <summary>Runs one of the Node scripts in tests/js (graphql-http audits, graphql-ws and graphql-sse clients).</summary>
public static class NodeTools
{
    /// <summary>Runs `node script args…` in tests/js, at most 60 s; asserts it exited 0 and returns what it printed.</summary>
    public static async Task<string> Run(string script, string[] requiredPackages, params string[] args)
    {
        var tools = Path.Combine(Repo.Root, "tests", "js");
        Assert.True(requiredPackages.All(p => Directory.Exists(Path.Combine(tools, "node_modules", p))),
            $"{tools}/node_modules lacks one of {string.Join(", ", requiredPackages)}: run `npm ci` in {tools}");

        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = tools,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(script);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        using var node = Process.Start(psi)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stdout = node.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = node.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"node {script} did not finish within 60 s");
        }
        finally
        {
            if (!node.HasExited) node.Kill(entireProcessTree: true);
        }

        Assert.True(node.ExitCode == 0, $"node {script} exited with {node.ExitCode}: {await stderr}\n{await stdout}");
        return await stdout;
    }
}
