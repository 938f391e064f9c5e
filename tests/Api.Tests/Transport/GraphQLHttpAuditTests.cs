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
        var output = await NodeTools.Run("audit.mjs", ["graphql-http"], new Uri(app.BaseAddress, "/graphql").ToString());
        var audits = JsonNode.Parse(output)!.AsArray()
            .Select(a => (Name: a!["name"]!.GetValue<string>(), Status: a["status"]!.GetValue<string>(), Reason: a["reason"]?.ToString()))
            .ToList();

        Assert.True(audits.Count(a => a.Name.StartsWith("MUST")) >= 10, $"too few MUST audits ran: {audits.Count}");
        var failed = audits.Where(a => a.Status != "ok").Select(a => $"{a.Status}: {a.Name} — {a.Reason}").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {audits.Count} audits did not pass:\n{string.Join("\n", failed)}");
    }
}
