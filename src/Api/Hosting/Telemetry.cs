using System.Diagnostics.Metrics;
using System.Net;
using Conpaas.Api.Identity;
using Conpaas.CloudAgents;
using Conpaas.Domain.Vms;
using GraphQL;
using GraphQL.DI;
using GraphQLParser.AST;
using Marten;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Conpaas.Api.Hosting;

public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Whether /metrics answers any caller on the Director's own machine (a local Prometheus or agent);
    /// others need an administrator's token. Turn it off behind a reverse proxy on the same machine.</summary>
    public bool MetricsOpenToLoopback { get; set; } = true;
}

/// <summary>
/// OpenTelemetry for the Director, in the way of .NET's service defaults: metrics always (scraped at /metrics), traces
/// and logs exported over OTLP when the standard OTEL_EXPORTER_OTLP_ENDPOINT names a collector. Without one, no
/// trace is recorded at all: spans nobody receives would only cost the request path.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "conpaas-director";
    /// <summary>Health checks that say whether the Director can serve (/health/ready), beyond the database's.</summary>
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddDirectorTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(DirectorMetrics.MeterName, Identity.PasswordHasher.MeterName, "Marten*", "Wolverine*")
                .AddPrometheusExporter());
        if (otlp)
        {
            builder.Logging.AddOpenTelemetry(o => { o.IncludeFormattedMessage = true; o.IncludeScopes = true; });
            telemetry.WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddSource("Marten", "Wolverine"))
                .UseOtlpExporter();
        }

        builder.Services.AddSingleton<VmCensus>();
        builder.Services.AddSingleton<IConfigureExecution, OperationTimer>();
        builder.Services.AddSingleton<SchemaHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<SchemaHealthCheck>("schema", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>/metrics (loopback or an administrator), /health/live (the process answers: no check) and
    /// /health/ready (every check: the database answers and its schema is this Director's).</summary>
    public static WebApplication MapDirectorTelemetry(this WebApplication app)
    {
        // Made now, so that its gauge is there from the first scrape.
        app.Services.GetRequiredService<VmCensus>();
        var feed = app.Services.GetRequiredService<Subscriptions.EventFeed>();
        app.Services.GetRequiredService<DirectorMetrics>().Meter.CreateObservableGauge("conpaas.subscriptions.open",
            () => feed.SubscriberCount, "{subscription}", "Subscriptions open on this node (WebSocket and SSE)");
        app.MapPrometheusScrapingEndpoint("/metrics", null, branch => branch.Use(async (http, next) =>
        {
            if (await Refusal(http) is { } status) http.Response.StatusCode = status;
            else await next(http);
        }), null);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = DatabaseHealthCheck.Write });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = DatabaseHealthCheck.Write });
        return app;
    }

    /// <summary>Null when the caller may read the metrics; else 404 to an anonymous caller (nothing to see here) and
    /// 403 to a signed-in one who is no administrator.</summary>
    private static async Task<int?> Refusal(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsOpenToLoopback
            && http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip))
            return null;
        var caller = await SessionAuthentication.SignIn(http);
        return caller.IsAdmin ? null : caller.IsSignedIn ? StatusCodes.Status403Forbidden : StatusCodes.Status404NotFound;
    }
}

/// <summary>The VMs not released yet, by cloud and state: one grouped read at most every <see cref="CachedFor"/>,
/// so frequent scrapes cost the database little. Instruments are observed synchronously and Marten reads only
/// asynchronously: a scrape answers the last counts and, when they are old, starts the next read (one scrape behind).</summary>
internal sealed class VmCensus
{
    private static readonly TimeSpan CachedFor = TimeSpan.FromSeconds(5);
    private readonly IDocumentStore _store;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private DateTimeOffset _at = DateTimeOffset.MinValue;
    private Task _reading = Task.CompletedTask;
    private IReadOnlyList<Measurement<long>> _counts = [];

    public VmCensus(IDocumentStore store, TimeProvider clock, DirectorMetrics metrics)
    {
        _store = store;
        _clock = clock;
        metrics.Meter.CreateObservableGauge("conpaas.vms", Observe, "{vm}", "VMs not released, by cloud and state");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        lock (_gate)
        {
            if (_reading.IsCompleted && _clock.GetUtcNow() - _at >= CachedFor)
            {
                _at = _clock.GetUtcNow();
                _reading = Read();
            }

            return _counts;
        }
    }

    private async Task Read()
    {
        try
        {
            await using var session = _store.QuerySession();
            var vms = await session.Query<Vm>().Where(v => !v.Released).Select(v => new VmKey(v.Cloud, v.State)).ToListAsync();
            _counts = vms.CountBy(v => v)
                .Select(c => new Measurement<long>(c.Value, new("cloud", c.Key.Cloud), new("state", c.Key.State.ToString())))
                .ToList();
        }
        catch (NpgsqlException)
        {
            // The database is down (/health/ready says so): the gauge keeps its last numbers.
        }
    }

    private sealed record VmKey(string Cloud, VmState State);
}

/// <summary>Times queries and mutations (not subscriptions: theirs is a stream), by type and root field. Only
/// executed ones: a refused document's field names are the client's, not the schema's, and would have no bound.</summary>
internal sealed class OperationTimer(DirectorMetrics metrics, TimeProvider clock) : IConfigureExecution
{
    public float SortOrder => 300; // after the document cache, so the document is parsed

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        var operation = options.Document?.Definitions.OfType<GraphQLOperationDefinition>()
            .FirstOrDefault(o => options.OperationName is null || o.Name?.StringValue == options.OperationName);
        if (operation is null || operation.Operation == OperationType.Subscription) return await next(options);
        var started = clock.GetTimestamp();
        var result = await next(options);
        if (result.Executed)
            metrics.OperationTime.Record(clock.GetElapsedTime(started).TotalSeconds,
                new("operation.type", operation.Operation.ToString().ToLowerInvariant()),
                new("operation.field", operation.SelectionSet.Selections.OfType<GraphQLField>().FirstOrDefault()?.Name.StringValue ?? ""));
        return result;
    }
}

/// <summary>Ready only when the database's schema is the one this Director needs (a newer Director may have migrated
/// it meanwhile). A healthy answer is reused for <see cref="CachedFor"/>: comparing schemas reads the catalog at length.</summary>
internal sealed class SchemaHealthCheck(IServiceProvider services, TimeProvider clock) : IHealthCheck
{
    private static readonly TimeSpan CachedFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);
    private readonly Lock _gate = new();
    private (DateTimeOffset At, Task<HealthCheckResult> Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        Task<HealthCheckResult> check;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_last is not { } last || now - last.At >= CachedFor
                || last.Result is { IsCompleted: true } done && done.Result.Status != HealthStatus.Healthy)
                _last = (now, Check());
            check = _last.Value.Result;
        }

        try
        {
            return await check.WaitAsync(Deadline, ct);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"schema check: no answer within {Deadline.TotalSeconds:0} s");
        }
    }

    /// <summary>Its own, not the probe's: a probe that gives up must not leave a cancelled answer in the cache.</summary>
    private async Task<HealthCheckResult> Check()
    {
        try
        {
            var behind = await OperatorCommands.Behind(services);
            return behind.Count == 0
                ? HealthCheckResult.Healthy("schema current")
                : HealthCheckResult.Unhealthy($"the database schema of {string.Join(" and ", behind)} is behind this Director");
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("schema check: database unreachable: " + ex.Message);
        }
    }
}
