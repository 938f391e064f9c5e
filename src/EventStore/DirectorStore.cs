using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Applications;
using Conpaas.EventStore.History;
using Conpaas.EventStore.Services;
using Conpaas.EventStore.Users;
using Conpaas.EventStore.Vms;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Schema;
using Weasel.Core;

namespace Conpaas.EventStore;

/// <summary>The one place the event store and every projection are configured.</summary>
public static class DirectorStore
{
    public const string DefaultSchema = "conpaas";

    public static void Configure(StoreOptions opts, string connectionString, string schema = DefaultSchema, AutoCreate autoCreate = AutoCreate.CreateOrUpdate)
    {
        opts.Connection(connectionString);
        opts.DatabaseSchemaName = schema;
        opts.AutoCreateSchemaObjects = autoCreate;
        // camelCase and enum names: the audit history shows event data as stored.
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        opts.Events.UseMandatoryStreamTypeDeclaration = true;
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.UserNameEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Events.AddEventTypes(EventCatalog.All);
        opts.Listeners.Add(new Live.NotifyOnCommit(Live.NotifyOnCommit.ChannelFor(schema)));

        // Aggregates are snapshotted inline: every mutation answers with fresh state from the same transaction.
        opts.Projections.Add<UserProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ApplicationProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ServiceProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<VmProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<SessionProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<SsoLinkProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<StreamOwnerProjection>(ProjectionLifecycle.Inline);

        // The unique indexes make registration race-free: of concurrent registrations of one name, one commits.
        opts.Schema.For<User>()
            .UniqueIndex(UniqueIndexType.Computed, "ux_user_username", x => x.UsernameKey)
            .UniqueIndex(UniqueIndexType.Computed, "ux_user_email", x => x.EmailKey);
        // Likewise application names per owner; a deleted application's key is null and frees the name.
        opts.Schema.For<Application>()
            .UniqueIndex(UniqueIndexType.Computed, "ux_application_owner_name", x => x.NameKey!)
            .Index(x => x.OwnerId);
        opts.Schema.For<Service>().Index(x => x.ApplicationId).Index(x => x.OwnerId);
        opts.Schema.For<Vm>().Index(x => x.OwnerId).Index(x => x.ApplicationId).Index(x => x.ServiceId).Index(x => x.Cloud)
            .Metadata(m => m.LastModified.MapTo(x => x.UpdatedAt));
        opts.Schema.For<SessionView>().Index(x => x.UserId).Index(x => x.SessionId);
        opts.Schema.For<LoginFailure>().Index(x => x.UsernameKey);
        opts.Schema.For<StreamOwner>().Duplicate(x => x.OwnerId).Duplicate(x => x.ApplicationId);
    }
}
