using System.Diagnostics;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Transport;

/// <summary>The npm graphql-http server audits (tests/js/audit.mjs) run by Node against the live endpoint.</summary>
public sealed class GraphQLHttpAuditTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    [Fact]
    public async Task every_graphql_http_server_audit_passes()
    {
        var tools = Path.Combine(Repo.Root, "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(tools, "node_modules", "graphql-http")),
            $"{tools}/node_modules is missing: run `npm ci` in {tools}");

        var psi = new ProcessStartInfo("node")
        {
            ArgumentList = { "audit.mjs", new Uri(app.BaseAddress, "/graphql").ToString() },
            WorkingDirectory = tools,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
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
            Assert.Fail("node audit.mjs did not finish within 60 s");
        }
        finally
        {
            if (!node.HasExited) node.Kill(entireProcessTree: true);
        }

        Assert.True(node.ExitCode == 0, $"node audit.mjs exited with {node.ExitCode}: {await stderr}");
        var audits = JsonNode.Parse(await stdout)!.AsArray()
            .Select(a => (Name: a!["name"]!.GetValue<string>(), Status: a["status"]!.GetValue<string>(), Reason: a["reason"]?.ToString()))
            .ToList();

        Assert.True(audits.Count(a => a.Name.StartsWith("MUST")) >= 10, $"too few MUST audits ran: {audits.Count}");
        var failed = audits.Where(a => a.Status != "ok").Select(a => $"{a.Status}: {a.Name} — {a.Reason}").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {audits.Count} audits did not pass:\n{string.Join("\n", failed)}");
    }
}
