using Conpaas.EventStore;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events.Daemon;
using Marten;
using Weasel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Wolverine;
using Wolverine.Marten;
using Conpaas.CloudAgents;

namespace Conpaas.Api.Hosting;

public static class StoreSetup
{
    public const string ConnectionStringName = "Director";

    /// <summary>The event store (Marten) and the message bus (Wolverine) on one PostgreSQL database.</summary>
    public static WebApplicationBuilder AddDirectorStore(this WebApplicationBuilder builder)
    {
        var director = builder.Configuration.GetSection(DirectorOptions.Section).Get<DirectorOptions>() ?? new DirectorOptions();
        var connectionString = ConnectionString(builder.Configuration);
        // Outside development the schema changes only through the migrate verb, never as a side effect of a start:
        // the Critter Stack's production profile (below) says so, and Director:AutoMigrate, when set, decides instead.
        var autoMigrate = OperatorCommands.AutoMigrate(builder);
        AutoCreate? autoCreate = builder.Configuration.GetValue<bool?>("Director:AutoMigrate") is null ? null
            : autoMigrate ? AutoCreate.CreateOrUpdate : AutoCreate.None;

        var marten = builder.Services.AddMarten(services =>
            {
                var opts = new StoreOptions();
                DirectorStore.Configure(opts, connectionString, director.Schema, autoCreate, services.GetRequiredService<ILoggerFactory>());
                opts.Logger(new StoreLogger(services.GetRequiredService<ILogger<IDocumentStore>>()));
                return opts;
            })
            .UseLightweightSessions();
        if (autoMigrate) marten.ApplyAllDatabaseChangesOnStartup();
        marten.IntegrateWithWolverine();

        // The handlers' code is generated ahead of time (Internal/Generated, scripts/codegen.sh): compiling it at run
        // time kept Roslyn and a native copy of every referenced assembly resident (about 150 MB, bench/README.md).
        builder.Services.CritterStackDefaults(x =>
        {
            x.Development.GeneratedCodeMode = TypeLoadMode.Static;
            x.Production.GeneratedCodeMode = TypeLoadMode.Static;
            x.Development.ResourceAutoCreate = AutoCreate.CreateOrUpdate;
            x.Production.ResourceAutoCreate = AutoCreate.None;
        });
        builder.Host.UseWolverine(opts =>
        {
            opts.ApplicationAssembly = typeof(StoreSetup).Assembly;
            opts.Durability.Mode = director.DurabilityMode == "Solo" ? DurabilityMode.Solo : DurabilityMode.Balanced;
            if (autoCreate is { } explicitly) opts.AutoBuildMessageStorageOnStartup = explicitly;
            // Handlers that take the session (createApplication, revokeCertificate) are saved, with their cascaded messages, by it.
            opts.Policies.AutoApplyTransactions();
            opts.Policies.UseDurableLocalQueues();
            opts.ConfigureCloudAgents(builder.Configuration);
            opts.ConfigureCommands();
        });

        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    /// <summary>ConnectionStrings:Director, or a clear start-up error naming the key.</summary>
    public static string ConnectionString(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(value))
            throw new Microsoft.Extensions.Options.OptionsValidationException(ConnectionStringName, typeof(string),
                [$"ConnectionStrings:{ConnectionStringName} is missing: set it (environment ConnectionStrings__{ConnectionStringName}) to a PostgreSQL connection string, e.g. the output of scripts/postgres.sh url"]);
        try
        {
            // No automatic preparation (Npgsql's default, kept on purpose): with it, a statement PostgreSQL refuses in
            // a transaction at the very call that prepares it leaves the pooled connection out of step with the server,
            // and its next user reads "Received unexpected backend message DataRow" (npgsql/npgsql#6391, open; the
            // pattern is in tests/Api.Tests/Hosting/AutoPrepareTests.cs). A connection string that turns it on is refused.
            var builder = new NpgsqlConnectionStringBuilder(value) { ApplicationName = "conpaas-director" };
            if (builder.MaxAutoPrepare != 0)
                throw new Microsoft.Extensions.Options.OptionsValidationException(ConnectionStringName, typeof(string),
                    [$"ConnectionStrings:{ConnectionStringName} sets Max Auto Prepare={builder.MaxAutoPrepare}: remove it (automatic preparation corrupts pooled connections after a refused statement, npgsql/npgsql#6391)"]);
            return builder.ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(ConnectionStringName, typeof(string),
                [$"ConnectionStrings:{ConnectionStringName} is not a valid PostgreSQL connection string: {ex.Message}"]);
        }
    }
}

/// <summary>/health: healthy when the event store's database answers; fast (a few seconds at most) when it does not.</summary>
public sealed class DatabaseHealthCheck(IDocumentStore store) : IHealthCheck
{
    /// <summary>A health probe must answer before its caller gives up, even when PostgreSQL does not answer at all.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        try
        {
            await using var session = store.QuerySession();
            await using var cmd = session.Connection!.CreateCommand();
            cmd.CommandText = "select 1";
            await cmd.ExecuteScalarAsync(deadline.Token);
            return HealthCheckResult.Healthy("database reachable");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"database unreachable: no answer within {Deadline.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // Npgsql's messages name the host and the cause, never the password.
            return HealthCheckResult.Unhealthy("database unreachable: " + ex.Message);
        }
    }

    /// <summary>"Healthy", or "Unhealthy: " and why (the default writer says only the status).</summary>
    public static Task Write(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "text/plain; charset=utf-8";
        var why = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description).ToList();
        return http.Response.WriteAsync(why.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", why)}");
    }
}
