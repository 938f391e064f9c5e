using System.Security.Cryptography;
using System.Text;
using Conpaas.CloudAgents.Boot;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Vms;
using Marten;

namespace Conpaas.Api.Agents;

/// <summary>
/// What a VM's agent may ask the Director, authenticated by the credential in its boot context
/// (`Authorization: Vm &lt;vm id&gt; &lt;credential&gt;`). A credential names one VM: it can never read another VM,
/// act for an application or pass as a user (the GraphQL API does not accept it), and it dies with its VM.
/// </summary>
public static class AgentEndpoints
{
    public static WebApplication MapAgentEndpoints(this WebApplication app)
    {
        app.MapGet("/agent/v1/self", async (HttpContext http, IDocumentStore store, BootContexts boots, CancellationToken ct) =>
            await Authenticate(http, store, boots, ct) is { } vm
                ? Results.Json(new
                {
                    vmId = vm.Id, name = vm.Name, role = vm.Role.ToString(), serviceRole = vm.ServiceRole, serviceType = vm.ServiceType,
                    serviceId = vm.ServiceId, applicationId = vm.ApplicationId, state = vm.State.ToString(), vpnAddress = vm.VpnAddress,
                })
                : Results.Json(new { error = "VM authentication failed" }, statusCode: StatusCodes.Status401Unauthorized));

        // The agent as a download, for booting VMs: no credential (it holds none); the checksum is in their user data.
        app.MapGet("/download/" + AgentPackage.FileName, (HttpContext http) =>
        {
            var agent = AgentPackage.Director.Get();
            http.Response.Headers["X-ConPaaS-Version"] = agent.Version;
            return Results.Bytes(agent.Bytes, "application/gzip", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{agent.Sha256}\""));
        });
        app.MapGet("/download/" + AgentPackage.FileName + ".sha256", () =>
            Results.Text($"{AgentPackage.Director.Get().Sha256}  {AgentPackage.FileName}\n", "text/plain"));
        return app;
    }

    private static async Task<Vm?> Authenticate(HttpContext http, IDocumentStore store, BootContexts boots, CancellationToken ct)
    {
        var parts = http.Request.Headers.Authorization.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not ["Vm", var id, var credential] || !Guid.TryParse(id, out var vmId)) return null;
        var expected = await boots.Credential(vmId, ct);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(credential))) return null;
        await using var session = store.QuerySession();
        var vm = await session.LoadAsync<Vm>(vmId, ct);
        return vm is { IsLive: true } ? vm : null;
    }
}
