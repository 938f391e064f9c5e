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
    /// <summary>
    /// The pattern that produced it (npgsql/npgsql#6391): a statement PostgreSQL refuses inside a transaction at the
    /// very execution where Npgsql's automatic preparation prepares it (its 5th use by default), a rollback, then the
    /// next command on that pooled connection. With the Director's old `Max Auto Prepare=100` this read "Received
    /// unexpected backend message DataRow" within a few rounds.
    /// </summary>
    [Fact]
    public async Task a_statement_refused_in_a_transaction_on_the_call_that_would_prepare_it_leaves_the_connection_in_step()
    {
        var database = await TestDatabase.CreateDatabase("autoprepare6391");
        try
        {
            var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Director"] = new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = 1 }.ConnectionString,
            }).Build();
            var cs = StoreSetup.ConnectionString(settings);
            var ct = TestContext.Current.CancellationToken;
            await using (var setup = new NpgsqlConnection(cs))
            {
                await setup.OpenAsync(ct);
                await new NpgsqlCommand("create table t (id serial primary key, value varchar(10) not null)", setup).ExecuteNonQueryAsync(ct);
            }

            var refused = 0;
            for (var round = 0; round < 30; round++)
            {
                await using var connection = new NpgsqlConnection(cs);
                await connection.OpenAsync(ct);
                await using var tx = await connection.BeginTransactionAsync(ct);
                // Every fifth use is one PostgreSQL refuses (22001: too long for varchar(10)).
                await using var insert = new NpgsqlCommand("insert into t (value) values (@value) returning id", connection, tx);
                insert.Parameters.AddWithValue("value", round % 5 == 4 ? "far too long for it" : "fine");
                try
                {
                    await insert.ExecuteScalarAsync(ct);
                    await using var count = new NpgsqlCommand("select count(*) from t where value = @v", connection, tx);
                    count.Parameters.AddWithValue("v", "fine");
                    Assert.True((long)(await count.ExecuteScalarAsync(ct))! >= 0);
                    await tx.CommitAsync(ct);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.StringDataRightTruncation)
                {
                    refused++;
                    await tx.RollbackAsync(ct);
                }
            }

            Assert.Equal(6, refused);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await TestDatabase.DropDatabase(database);
        }
    }

    [Fact]
    public void a_connection_string_that_turns_automatic_preparation_on_is_refused_by_name()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Director"] = "Host=127.0.0.1;Database=d;Max Auto Prepare=20",
        }).Build();
        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => StoreSetup.ConnectionString(settings));
        Assert.Contains("Max Auto Prepare=20", refused.Message);
        Assert.Contains("6391", refused.Message);
    }

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
