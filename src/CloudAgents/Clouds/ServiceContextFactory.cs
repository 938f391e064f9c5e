using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Conpaas.CloudAgents.Clouds;

/// <summary>The one place a <see cref="ServiceContext"/> is made, for the API's commands and the agents alike.</summary>
public sealed class ServiceContextFactory(CloudCatalog clouds, IOptions<VpnOptions> vpn, IConfiguration configuration, TimeProvider clock)
{
    private readonly Lazy<Domain.Vpn.VpnPlan> _plan = new(() => vpn.Value.Plan());

    public Domain.Vpn.VpnPlan Vpn => _plan.Value;

    public ServiceContext Create(int ownerCredit) =>
        new(clouds.Directory, _plan.Value, ownerCredit, Guid.CreateVersion7, clock.GetUtcNow(),
            configuration["Director:DeploymentName"] is { Length: > 0 } name ? name : VmNaming.DefaultDeployment);
}
