using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Clouds;
using Conpaas.Domain.Vpn;

namespace Conpaas.Domain.Services;

/// <summary>What a service decision needs besides the service: configuration, the owner's credit, ids and the clock.</summary>
public sealed record ServiceContext(
    CloudDirectory Clouds,
    VpnPlan Vpn,
    int OwnerCredit,
    Func<Guid> NewId,
    DateTimeOffset Now,
    string Deployment = Vms.VmNaming.DefaultDeployment)
{
    public static ServiceType TypeOf(Service service) =>
        ServiceTypes.Find(service.Type) ?? throw new InvalidOperationException($"Service type '{service.Type}' is not in the catalogue");
}
