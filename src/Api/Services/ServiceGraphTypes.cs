using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Clouds;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using GraphQL;
using GraphQL.Types;
using Marten;

namespace Conpaas.Api.Services;

public sealed class ServiceStateType : EnumerationGraphType<ServiceState> { public ServiceStateType() => Name = "ServiceState"; }
public sealed class VmRoleType : EnumerationGraphType<VmRole> { public VmRoleType() => Name = "VmRole"; }
public sealed class VmStateType : EnumerationGraphType<VmState> { public VmStateType() => Name = "VmState"; }

public sealed class ServiceRoleGraphType : ObjectGraphType<ServiceRole>
{
    public ServiceRoleGraphType()
    {
        Name = "ServiceRole";
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<BooleanGraphType>>("isDefault").Resolve(c => c.Source.IsDefault);
        Field<NonNullGraphType<IntGraphType>>("initialCount").Resolve(c => c.Source.InitialCount);
    }
}

public sealed class ServiceTypeGraphType : ObjectGraphType<ServiceType>
{
    public ServiceTypeGraphType()
    {
        Name = "ServiceType";
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("description").Resolve(c => c.Source.Description);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ServiceRoleGraphType>>>>("roles").Resolve(c => c.Source.Roles);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IntGraphType>>>>("ports").Resolve(c => c.Source.Ports);
    }
}

public sealed class CloudGraphType : ObjectGraphType<CloudInfo>
{
    public CloudGraphType()
    {
        Name = "Cloud";
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("driver").Resolve(c => c.Source.Driver);
        Field<NonNullGraphType<BooleanGraphType>>("isDefault").Resolve(c => c.Source.IsDefault);
        Field<NonNullGraphType<BooleanGraphType>>("healthy").Resolve(c => c.Source.IsHealthy);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("problems").Resolve(c => c.Source.Problems);
    }
}

public sealed record RoleCount(string Role, int Count);

public sealed class RoleCountType : ObjectGraphType<RoleCount>
{
    public RoleCountType()
    {
        Name = "RoleCount";
        Field<NonNullGraphType<StringGraphType>>("role").Resolve(c => c.Source.Role);
        Field<NonNullGraphType<IntGraphType>>("count").Resolve(c => c.Source.Count);
    }
}

public sealed class ApplicationGraphType : ObjectGraphType<Application>
{
    public ApplicationGraphType()
    {
        Name = "Application";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<UserType>>("owner").Resolve(c => c.Get<Reads>().OwnerOf(c.Source));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ServiceGraphType>>>>("services")
            .Resolve(c => c.Get<Reads>().ServicesOf(c.Source, TimeTravel.AsOf(c)));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VmGraphType>>>>("vms").Description("Every VM of every service of this application.")
            .Resolve(c => c.Get<Reads>().VmsOfApplication(c.Source.Id, TimeTravel.AsOf(c)));
        Field<StringGraphType>("network").Description("The application's private network (CIDR), or null when no VPN is configured.")
            .Resolve(c => c.Source.Network);
        Field<NonNullGraphType<DateTimeScalar>>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<NonNullGraphType<IntGraphType>>("version").Description("Version of the application's event stream; pass it as expectedVersion.")
            .Resolve(c => c.Source.Version);
    }
}

public sealed class ServiceGraphType : ObjectGraphType<Service>
{
    public ServiceGraphType()
    {
        Name = "Service";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<IntGraphType>>("sid").Resolve(c => c.Source.Sid);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("type").Resolve(c => c.Source.Type);
        Field<NonNullGraphType<ServiceStateType>>("state").Resolve(c => c.Source.State);
        Field<StringGraphType>("stateReason").Resolve(c => c.Source.StateReason);
        Field<NonNullGraphType<ApplicationGraphType>>("application")
            .Resolve(c => c.Get<Reads>().ApplicationOf(c.Source, TimeTravel.AsOf(c)));
        Field<StringGraphType>("cloud").Resolve(c => c.Source.Cloud);
        Field<StringGraphType>("subnet").Resolve(c => c.Source.Subnet);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<RoleCountType>>>>("nodeCounts").Description("Desired number of agent nodes per role.")
            .Resolve(c => (ServiceTypes.Find(c.Source.Type)?.Roles ?? [])
                .Select(r => new RoleCount(r.Name, c.Source.DesiredCounts.GetValueOrDefault(r.Name))).ToList());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VmGraphType>>>>("nodes").Description("The manager VM and the agents, live ones first.")
            .Resolve(c => c.Get<Reads>().NodesOf(c.Source, TimeTravel.AsOf(c)));
        Field<NonNullGraphType<DateTimeScalar>>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<NonNullGraphType<IntGraphType>>("version").Resolve(c => c.Source.Version);
    }
}

public sealed class VmGraphType : ObjectGraphType<Vm>
{
    public VmGraphType()
    {
        Name = "Vm";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<VmRoleType>>("role").Resolve(c => c.Source.Role);
        Field<StringGraphType>("serviceRole").Resolve(c => c.Source.ServiceRole);
        Field<NonNullGraphType<ServiceGraphType>>("service")
            .Resolve(c => c.Get<Reads>().ServiceOf(c.Source, TimeTravel.AsOf(c)));
        Field<NonNullGraphType<StringGraphType>>("cloud").Resolve(c => c.Source.Cloud);
        Field<StringGraphType>("providerId").Resolve(c => c.Source.ProviderId);
        Field<NonNullGraphType<VmStateType>>("state").Resolve(c => c.Source.State);
        Field<StringGraphType>("stateReason").Resolve(c => c.Source.StateReason);
        Field<StringGraphType>("address").Resolve(c => c.Source.Address);
        Field<StringGraphType>("vpnAddress").Resolve(c => c.Source.VpnAddress);
        Field<NonNullGraphType<DateTimeScalar>>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<NonNullGraphType<IntGraphType>>("chargedHours").Resolve(c => c.Source.PaidHours);
    }
}

public sealed class NodeCountInputType : InputObjectGraphType
{
    public NodeCountInputType()
    {
        Name = "NodeCountInput";
        Description = "One entry of addNodes/removeNodes. Entries of one role and cloud add up; a request asks for at most 256 nodes in all.";
        Field<StringGraphType>("role").Description("Null means the service type's default role; a blank role is INVALID_INPUT.");
        Field<NonNullGraphType<IntGraphType>>("count").Description("At least 1.");
        Field<StringGraphType>("cloud").Description(
            "Null means the service's cloud; a blank one is INVALID_INPUT, an unknown one UNKNOWN_CLOUD (removeNodes too).");
    }

    public static List<NodeCount> Read(IResolveFieldContext c) =>
        c.GetArgument<List<Dictionary<string, object?>>>("nodes")
            .Select(d => new NodeCount(d.GetValueOrDefault("role") as string, (int)d["count"]!, d.GetValueOrDefault("cloud") as string))
            .ToList();
}

/// <summary>The time-travel argument of application(id, asOf) and service(id, asOf), seen by every nested field.</summary>
public static class TimeTravel
{
    public static DateTimeOffset? AsOf(IResolveFieldContext context)
    {
        for (var c = context; c is not null; c = c.Parent)
            if (c.Parent is null && c.FieldDefinition.Arguments?.Find("asOf") is not null)
                return c.GetArgument<DateTimeOffset?>("asOf");
        return null;
    }
}
