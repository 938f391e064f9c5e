using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Provisioning;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Agents;

/// <summary>A VM's credential authenticates that VM's agent, and nothing else.</summary>
public sealed class VmCredentialTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<string>> StartedVms(GraphQLClient user)
    {
        var appId = (await user.Ok("mutation { createApplication(name: \"a\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var service = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();
        return (await user.Ok("mutation($s: ID!) { startService(id: $s) { nodes { id } } }", new { s = service }))["startService"]!["nodes"]!
            .AsArray().Select(n => n!["id"]!.GetValue<string>()).ToList();
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> Self(string authorization)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/agent/v1/self");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task a_vms_credential_reads_that_vm_and_no_other()
    {
        var boots = app.Services.GetRequiredService<BootContexts>();
        var mine = await StartedVms(await app.NewUser());
        var theirs = await StartedVms(await app.NewUser());
        var credential = await boots.Credential(Guid.Parse(mine[0]), Ct);

        var (status, body) = await Self($"Vm {mine[0]} {credential}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(mine[0], body!["vmId"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Vm {mine[1]} {credential}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Vm {theirs[0]} {credential}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Vm {mine[0]} vm_forged")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self("")).Status);
    }

    [Fact]
    public async Task a_vm_credential_is_no_user_credential_and_a_user_token_is_no_vm_credential()
    {
        var user = await app.NewUser();
        var vms = await StartedVms(user);
        var credential = await app.Services.GetRequiredService<BootContexts>().Credential(Guid.Parse(vms[0]), Ct);

        var asUser = app.Client(credential);
        await asUser.Fails("UNAUTHENTICATED", "{ applications { id } }");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Vm {vms[0]} {user.Token}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Bearer {user.Token}")).Status);
    }

    [Fact]
    public async Task a_credential_dies_with_its_vm()
    {
        var user = await app.NewUser();
        var vms = await StartedVms(user);
        var credential = await app.Services.GetRequiredService<BootContexts>().Credential(Guid.Parse(vms[0]), Ct);
        var recorder = app.Services.GetRequiredService<global::Conpaas.CloudAgents.Outcomes.VmOutcomeRecorder>();
        await recorder.Record(new global::Conpaas.CloudAgents.Outcomes.VmOutcome.Lost(Guid.Parse(vms[0]), "gone"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Self($"Vm {vms[0]} {credential}")).Status);
    }
}
