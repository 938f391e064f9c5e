using Conpaas.Api.Hosting;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Marten;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Xunit;

namespace Conpaas.Api.Tests.Hosting;

/// <summary>
/// Issue 11: "Received unexpected backend message DataRow" after a failed statement. The Director's own connection
/// settings (StoreSetup.ConnectionString) and Marten's batches, a statement PostgreSQL refuses in the middle, then the
/// same statements again on the same pooled connection.
/// </summary>
public sealed class AutoPrepareTests
{
    [Fact]
    public async Task a_statement_postgresql_refuses_leaves_the_pooled_connection_usable()
    {
        var database = await TestDatabase.CreateDatabase("autoprepare");
        try
        {
            var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Director"] = new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = 1 }.ConnectionString,
            }).Build();
            var opts = new StoreOptions();
            DirectorStore.Configure(opts, StoreSetup.ConnectionString(settings));
            using var store = new DocumentStore(opts);
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync(JasperFx.AutoCreate.CreateOrUpdate);
            var user = Guid.CreateVersion7();
            await using (var session = store.LightweightSession())
            {
                session.Events.StartStream<User>(user, new UserRegistered(user, "ann", "ann@example.org", "hash", null, null, null, Role.USER, 50, DateTimeOffset.UtcNow));
                await session.SaveChangesAsync(TestContext.Current.CancellationToken);
            }

            var failures = 0;
            for (var round = 0; round < 30; round++)
            {
                await using var session = store.LightweightSession();
                // Every third round PostgreSQL refuses the text (22021: a NUL byte is not valid UTF-8 text for it).
                var reason = round % 3 == 2 ? "bad\u0000reason" : "fine";
                session.Events.Append(user, new CreditGranted(1, 1, reason, "admin", 50 + round));
                try
                {
                    await session.SaveChangesAsync(TestContext.Current.CancellationToken);
                }
                catch (Exception ex) when (ex is PostgresException or Marten.Exceptions.MartenCommandException)
                {
                    failures++;
                }

                await using var read = store.QuerySession();
                Assert.NotNull(await read.LoadAsync<User>(user, TestContext.Current.CancellationToken));
            }

            Assert.Equal(10, failures);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await TestDatabase.DropDatabase(database);
        }
    }
}
