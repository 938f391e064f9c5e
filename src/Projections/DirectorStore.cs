using Conpaas.Domain.Users;
using Conpaas.Projections.Users;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Schema;

namespace Conpaas.Projections;

/// <summary>The one place the event store and every projection are configured.</summary>
public static class DirectorStore
{
    public const string DefaultSchema = "conpaas";

    public static void Configure(StoreOptions opts, string connectionString, string schema = DefaultSchema)
    {
        opts.Connection(connectionString);
        opts.DatabaseSchemaName = schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;

        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        opts.Events.UseMandatoryStreamTypeDeclaration = true;
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.UserNameEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;

        ConfigureUsers(opts);
    }

    private static void ConfigureUsers(StoreOptions opts)
    {
        opts.Projections.Add<UserProjection>(ProjectionLifecycle.Inline);
        // The unique indexes make registration race-free: of concurrent registrations of one name, one commits.
        opts.Schema.For<User>()
            .UniqueIndex(UniqueIndexType.Computed, "ux_user_username", x => x.UsernameKey)
            .UniqueIndex(UniqueIndexType.Computed, "ux_user_email", x => x.EmailKey);

        opts.Projections.Add<SessionProjection>(ProjectionLifecycle.Inline);
        opts.Schema.For<SessionView>().Index(x => x.UserId).Index(x => x.SessionId);
        opts.Schema.For<LoginFailure>().Index(x => x.UsernameKey);
    }
}
