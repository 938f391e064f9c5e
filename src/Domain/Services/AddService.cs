using Conpaas.Domain.Applications;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Vpn;

namespace Conpaas.Domain.Services;

/// <summary>addService: the application hands out the next sid and the lowest free VPN subnet (ConPaaS /add/&lt;type&gt;).</summary>
public static class AddService
{
    public static Decision Decide(Application app, Guid serviceId, string? type, string? name, VpnPlan vpn, DateTimeOffset now)
    {
        if (app.Deleted) return ApplicationDecisions.NotFound(app.Id);
        var serviceType = ServiceTypes.Find(type);
        if (serviceType is null) return ServiceTypes.Unknown(type);
        // No name: ConPaaS's default; a given name is checked like every other name.
        if (name is not null && Text.CheckName("name", name) is { } badName) return badName;
        name = name?.Trim() ?? $"New {serviceType.Name} service";

        var subnet = vpn.AllocateServiceSubnet(app.Services.Where(s => s.Subnet is not null).Select(s => s.Subnet!).ToList());
        if (subnet.Error is { } exhausted) return exhausted;

        var sid = app.LastSid + 1;
        return Decision.Accept(
            [new ServiceSubnetAllocated(serviceId, sid, subnet.Value)],
            [StreamEvent.Start<Service>(serviceId, new ServiceAdded(serviceId, app.Id, app.OwnerId, sid, serviceType.Name, name, subnet.Value, now))]);
    }
}
