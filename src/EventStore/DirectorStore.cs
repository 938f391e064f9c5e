using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.Applications;
using Conpaas.EventStore.Certificates;
using Conpaas.EventStore.Credits;
using Conpaas.EventStore.Files;
using Conpaas.EventStore.History;
using Conpaas.EventStore.Services;
using Conpaas.EventStore.Users;
using Conpaas.EventStore.Vms;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Schema;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weasel.Core;

namespace Conpaas.EventStore;

/// <summary>The one place the event store and every projection are configured.</summary>
public static class DirectorStore
{
    public const string DefaultSchema = "conpaas";

    /// <param name="autoCreate">
    /// How far Marten changes the schema on its own; null leaves it to the host's Critter Stack profile
    /// (<c>CritterStackDefaults</c>: nothing in production), and a store made without a host creates or updates.
    /// </param>
    /// <param name="logs">Where the store's own components log (the commit notifier); none when null.</param>
    public static void Configure(StoreOptions opts, string connectionString, string schema = DefaultSchema, AutoCreate? autoCreate = AutoCreate.CreateOrUpdate,
        ILoggerFactory? logs = null)
    {
        opts.Connection(connectionString);
        opts.DatabaseSchemaName = schema;
        if (autoCreate is { } explicitly) opts.AutoCreateSchemaObjects = explicitly;
        // camelCase and enum names: the audit history shows event data as stored.
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        opts.Events.UseMandatoryStreamTypeDeclaration = true;
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.UserNameEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Events.AddEventTypes(EventCatalog.All);
        opts.Listeners.Add(new Live.NotifyOnCommit(Live.NotifyOnCommit.ChannelFor(schema),
            (logs ?? NullLoggerFactory.Instance).CreateLogger<Live.NotifyOnCommit>()));

        // Aggregates are snapshotted inline: every mutation answers with fresh state from the same transaction.
        opts.Projections.Add<UserProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ApplicationProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ServiceProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<VmProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<SessionProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<SsoLinkProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<StreamOwnerProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<CreditLedgerProjection>(ProjectionLifecycle.Inline);
        // Data files: a user's files, and a service's startup script and archive.
        opts.Projections.Add<FileProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ServiceFilesProjection>(ProjectionLifecycle.Inline);
        AddCertificates(opts);
        // Stated, not left to defaults: the projections are inline, so a failing projection fails its append (the
        // caller sees it, nothing is half-written). A rebuild (daemon or `projections --rebuild`) stops at the first
        // event it cannot apply or read instead of skipping it: a rebuilt read model is complete or not made at all.
        opts.Projections.RebuildErrors.SkipApplyErrors = false;
        opts.Projections.RebuildErrors.SkipSerializationErrors = false;
        opts.Projections.RebuildErrors.SkipUnknownEvents = false;
        // Continuously running async projections (none today) would skip such events into the dead-letter table.
        opts.Projections.Errors.SkipApplyErrors = true;
        opts.Projections.Errors.SkipSerializationErrors = true;
        opts.Projections.Errors.SkipUnknownEvents = true;

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
        // A user's ledger is read by its owner, in stream order, a page after a version.
        opts.Schema.For<CreditLedgerLine>().Index(x => new { x.UserId, x.Version });
        opts.Schema.For<FileView>().Index(x => x.OwnerId);
        opts.Schema.For<ServiceFilesView>().GinIndexJsonData();
        opts.Schema.For<FileLink>();
        // A secret every node and restart share (the VMs' credential key).
        opts.Schema.For<DirectorSecret>();
    }

    /// <summary>Issued and revoked certificates (by serial), and the published CRLs.</summary>
    private static void AddCertificates(StoreOptions opts)
    {
        opts.Projections.Add(new CertificateProjection(), ProjectionLifecycle.Inline, nameof(CertificateView),
            o => o.DeleteViewTypeOnTeardown<CertificateView>());
        // A plain IProjection declares no event types: declared here, a rebuild hands it only these two.
        if (opts.Projections.TryFindProjection(nameof(CertificateView), out var registered) && registered is ProjectionBase projection)
        {
            projection.IncludeType<CertificateIssued>();
            projection.IncludeType<CertificateRevoked>();
        }

        opts.Schema.For<CertificateView>().Index(x => x.UserId).Index(x => x.VmId!);
        opts.Schema.For<RevocationListView>();
    }
}
