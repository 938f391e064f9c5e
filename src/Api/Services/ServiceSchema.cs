using Conpaas.Api.Applications;
using Conpaas.Api.GraphQL;
using Conpaas.CloudAgents.Drivers;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Services;
using Conpaas.EventStore;
using GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.Services;

/// <summary>The applications, services and VMs of the contract.</summary>
public static class ServiceSchema
{
    public static void AddServiceQueries(this ObjectGraphType query)
    {
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<ServiceTypeGraphType>>>>("serviceTypes").Description("No sign-in needed.")
            .Resolve(_ => ServiceTypes.All);
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<CloudGraphType>>>>("clouds")
            .Description("No sign-in needed. Problems include what the cloud answers live (checked at most every 30 s).")
            .ResolveAsync(async c => await c.Get<CloudDriverRegistry>().Health());
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<ApplicationGraphType>>>>("applications").Description("The caller's applications.")
            .ResolveAsync(async c => await c.Get<Reads>().MyApplications(c.CancellationToken));
        query.Field<ApplicationGraphType>("application").Description("asOf: the application as it was at that time, rebuilt from the event log.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<DateTimeScalar>("asOf")
            .ResolveAsync(async c => await c.Get<Reads>().Application(
                Ids.Parse(c.GetArgument<string>("id"), "id"), c.GetArgument<DateTimeOffset?>("asOf"), c.CancellationToken));
        query.Field<ServiceGraphType>("service")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<DateTimeScalar>("asOf")
            .ResolveAsync(async c => await c.Get<Reads>().Service(
                Ids.Parse(c.GetArgument<string>("id"), "id"), c.GetArgument<DateTimeOffset?>("asOf"), c.CancellationToken));
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<VmGraphType>>>>("vms")
            .Description("The caller's VMs (all of them for an administrator when all: true): ConPaaS list_resources.")
            .Argument<IdGraphType>("applicationId")
            .Argument<BooleanGraphType>("includeTerminated", a => a.DefaultValue = false)
            .Argument<BooleanGraphType>("all", a => a.DefaultValue = false)
            .ResolveAsync(async c => await c.Get<Reads>().Vms(c.GetArgument<string?>("applicationId"),
                c.GetArgument("includeTerminated", false), c.GetArgument("all", false), c.CancellationToken));
    }

    public static void AddServiceMutations(this ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<ApplicationGraphType>>("createApplication")
            .Description("idempotencyKey: the same key from the same user returns the first result instead of creating twice.")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .Argument<StringGraphType>("idempotencyKey")
            .ResolveAsync(async c => await CreateApplicationHandler.Send(c, c.GetArgument<string>("name"), c.GetArgument<string?>("idempotencyKey")));
        mutation.Field<NonNullGraphType<ApplicationGraphType>>("renameApplication")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .Argument<IntGraphType>("expectedVersion")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                var name = c.GetArgument<string>("name");
                try
                {
                    return await c.Invoke<Application>(by => new RenameApplication(id, name, c.GetArgument<int?>("expectedVersion"), by));
                }
                catch (Exception ex) when (PostgresErrors.IsUniqueViolation(ex))
                {
                    throw ApplicationDecisions.NameTaken(name).ToException();
                }
            });
        mutation.Field<NonNullGraphType<BooleanGraphType>>("deleteApplication").Description("Removes every service (stopping it first) and the application.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                return await c.Invoke(by => new DeleteApplication(id, by));
            });

        mutation.Field<NonNullGraphType<ServiceGraphType>>("addService")
            .Argument<NonNullGraphType<IdGraphType>>("applicationId")
            .Argument<NonNullGraphType<StringGraphType>>("type")
            .Argument<StringGraphType>("name")
            .Argument<StringGraphType>("idempotencyKey")
            .ResolveAsync(async c =>
            {
                var appId = Ids.Parse(c.GetArgument<string>("applicationId"), "applicationId");
                var key = c.GetArgument<string?>("idempotencyKey");
                Ids.CheckKey(key);
                return await c.Invoke<Service>(by => new AddService(appId, key is null ? Guid.CreateVersion7() : Ids.FromKey(by.Id, "service", key),
                    c.GetArgument<string>("type"), c.GetArgument<string?>("name"), key is not null, by));
            });
        mutation.Field<NonNullGraphType<ServiceGraphType>>("renameService")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .Argument<IntGraphType>("expectedVersion")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                return await c.Invoke<Service>(by => new RenameService(id, c.GetArgument<string>("name"), c.GetArgument<int?>("expectedVersion"), by));
            });
        mutation.Field<NonNullGraphType<ServiceGraphType>>("startService")
            .Description("Returns at once in PROLOGUE; watch serviceChanged for RUNNING or ERROR. cloud: null means the default cloud; a blank name is INVALID_INPUT.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<StringGraphType>("cloud")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                return await c.Invoke<Service>(by => new StartService(id, c.GetArgument<string?>("cloud"), by));
            });
        mutation.Field<NonNullGraphType<ServiceGraphType>>("stopService")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                return await c.Invoke<Service>(by => new StopService(id, by));
            });
        mutation.Field<NonNullGraphType<BooleanGraphType>>("removeService")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("id"), "id");
                return await c.Invoke(by => new RemoveService(id, by));
            });
        mutation.Field<NonNullGraphType<ServiceGraphType>>("addNodes")
            .Argument<NonNullGraphType<IdGraphType>>("serviceId")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<NodeCountInputType>>>>("nodes")
            .Argument<IntGraphType>("expectedVersion")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("serviceId"), "serviceId");
                return await c.Invoke<Service>(by => new AddNodes(id, NodeCountInputType.Read(c), c.GetArgument<int?>("expectedVersion"), by));
            });
        mutation.Field<NonNullGraphType<ServiceGraphType>>("removeNodes")
            .Argument<NonNullGraphType<IdGraphType>>("serviceId")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<NodeCountInputType>>>>("nodes")
            .Argument<IntGraphType>("expectedVersion")
            .ResolveAsync(async c =>
            {
                var id = Ids.Parse(c.GetArgument<string>("serviceId"), "serviceId");
                return await c.Invoke<Service>(by => new RemoveNodes(id, NodeCountInputType.Read(c), c.GetArgument<int?>("expectedVersion"), by));
            });
    }
}
