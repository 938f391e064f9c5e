using System.Security.Cryptography;
using System.Text;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain.Vms;
using Conpaas.Domain.Vpn;
using Conpaas.EventStore;
using Marten;
using Microsoft.Extensions.Configuration;

namespace Conpaas.CloudAgents.Provisioning;

/// <summary>Builds a VM's boot context: its VPN place, the Director's URL and a credential only this VM holds.</summary>
public sealed class BootContexts(IDocumentStore store, ServiceContextFactory contexts, IConfiguration configuration, IServiceProvider services)
{
    private const string KeyId = "vm-credential-key";
    private byte[]? _key;

    public string DirectorUrl => configuration["Director:Url"] is { Length: > 0 } url ? url : "http://127.0.0.1:5555";

    /// <summary>The VM's boot context, and what must be recorded before it is handed to a cloud (its certificate).</summary>
    public async Task<(BootContext Boot, IReadOnlyList<object> ToRecord)> For(Vm vm, CancellationToken ct)
    {
        var plan = contexts.Vpn;
        var hostPort = new Uri(DirectorUrl).Authority;
        // Each VM gets a certificate of its own (role and application in it) when the Director runs a CA.
        var prepared = services.GetService(typeof(IVmCertificates)) is IVmCertificates ca ? ca.Prepare(vm) : null;
        var certificate = prepared?.Credentials;
        var boot = new BootContext(vm.Id, vm.Name, vm.Role.ToString(), vm.ServiceRole, vm.ServiceType, vm.VpnAddress, plan.Network,
            plan.BootstrapNodes, plan.IsEnabled ? VpnPlan.Namespace(hostPort, vm.ApplicationId.ToString("N")) : null,
            DirectorUrl, await Credential(vm.Id, ct), certificate?.CertificatePem, certificate?.PrivateKeyPem, certificate?.CaCertificatePem);
        if (services.GetService(typeof(IServiceFileLinks)) is IServiceFileLinks files) boot = boot with { Files = await files.For(vm, DirectorUrl, ct) };
        return (boot, prepared is null ? [] : [prepared.Record]);
    }

    /// <summary>HMAC of the VM id under the Director's key: verifiable without storing it, useless for any other VM.</summary>
    public async Task<string> Credential(Guid vmId, CancellationToken ct)
    {
        var key = _key ??= await Key(ct);
        return "vm_" + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(vmId.ToString("N"))))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private async Task<byte[]> Key(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<DirectorSecret>(KeyId, ct) is { } existing) return Convert.FromBase64String(existing.Value);
        session.Insert(new DirectorSecret { Id = KeyId, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (JasperFx.DocumentAlreadyExistsException)
        {
            // Another node made it first; use theirs.
        }

        await using var read = store.QuerySession();
        return Convert.FromBase64String((await read.LoadAsync<DirectorSecret>(KeyId, ct))!.Value);
    }
}
