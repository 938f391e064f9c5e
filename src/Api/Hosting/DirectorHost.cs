using Conpaas.Api.Applications;
using Conpaas.Api.Dashboard;
using Conpaas.Api.GraphQL;
using Conpaas.Api.History;
using Conpaas.Api.Services;
using Conpaas.CloudAgents;
using Conpaas.Api.Identity;
using Conpaas.Api.Transport;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Hosting;

public static class DirectorHost
{
    public static WebApplicationBuilder AddDirectorOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<DirectorOptions>, DirectorOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<GraphQLOptions>, GraphQLOptionsValidator>();
        builder.Services.AddOptions<DirectorOptions>().BindConfiguration(DirectorOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<GraphQLOptions>().BindConfiguration(GraphQLOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);

        return builder;
    }

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddHttpContextAccessor().AddSingleton<AnonymousSignIns>();
        builder.Services.AddScoped<Caller>();
        builder.Services.AddScoped<Authenticator>();
        builder.Services.AddAuthentication(SessionAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, SessionAuthentication>(SessionAuthentication.SchemeName, null);
        builder.Services.AddHostedService<AdminBootstrap>();
        Identity.Sso.SsoEndpoints.AddSso(builder);
        return builder;
    }

    public static WebApplicationBuilder AddApplicationsAndServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddCloudAgents(builder.Configuration);
        // The commands' handlers cascade the cloud work their decisions ask for.
        builder.Services.AddSingleton<CloudAgents.Provisioning.CloudWork>();
        builder.Services.AddScoped<Reads>();
        builder.Services.AddScoped<HistoryQueries>();
        builder.Services.AddScoped<Credits.CreditCommands>();
        builder.Services.AddSingleton<Subscriptions.EventFeed>();
        builder.Services.AddSingleton<Subscriptions.SharedLoads>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Subscriptions.EventFeed>());
        return builder;
    }

    public static WebApplicationBuilder AddDirectorGraphQL(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection(GraphQLOptions.Section).Get<GraphQLOptions>() ?? new GraphQLOptions();
        builder.Services.AddGraphQL(b => b
            .AddSchema<DirectorSchema>()
            .AddGraphTypes(typeof(DirectorSchema).Assembly)
            // Relaxed escaping keeps quotes readable in messages; the body is always served as JSON, never HTML.
            .AddSystemTextJson(o => o.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
            .AddErrorInfoProvider(new DirectorErrorInfoProvider(limits.ExposeExceptionDetails))
            .AddUnhandledExceptionHandler((context, _) => DirectorErrorInfoProvider.Handle(context,
                context.Context?.RequestServices?.GetRequiredService<ILogger<DirectorSchema>>()
                ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<DirectorSchema>.Instance))
            // One Marten session per request is not thread-safe: resolve query fields one after another.
            .AddExecutionStrategy<global::GraphQL.Execution.SerialExecutionStrategy>(GraphQLParser.AST.OperationType.Query)
            .AddValidationRule<GraphQL.InputRules>()
            .ConfigureExecution<GraphQL.DocumentCache>()
            .AddComplexityAnalyzer(o =>
            {
                o.MaxDepth = limits.MaxDepth;
                o.MaxComplexity = limits.MaxComplexity;
                // Introspection grows with the schema; tools like GraphiQL must always be able to load it.
                var standard = o.DefaultComplexityImpactDelegate;
                o.DefaultComplexityImpactDelegate = ctx =>
                {
                    if (ctx.FieldDefinition.Name.StartsWith("__", StringComparison.Ordinal) || ctx.ParentType.Name.StartsWith("__", StringComparison.Ordinal))
                        return new global::GraphQL.Validation.Complexity.FieldComplexityResult(0, 1);
                    // A page never holds more than the resolvers serve; an out-of-range 'first' is theirs to refuse, naming the field.
                    var impact = standard(ctx);
                    return ctx.FieldDefinition.Arguments?.Find("first") is null
                        ? impact
                        : new global::GraphQL.Validation.Complexity.FieldComplexityResult(impact.FieldImpact,
                            Math.Min(impact.ChildImpactMultiplier, History.HistoryQueries.MaxPageSize));
                };
            }));
        builder.Services.AddSingleton<GraphQLHttpEndpoint>();
        builder.Services.AddSubscriptionTransports();
        return builder;
    }

    public static WebApplication MapDirectorGraphQL(this WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/graphql", (HttpContext http) => http.RequestServices.GetRequiredService<GraphQLHttpEndpoint>().Handle(http));
        app.MapGet("/graphql/schema.graphql", (ISchema schema) =>
            Results.Text(schema.Print(), "text/plain; charset=utf-8"));
        // As before the split: the database only (the schema check belongs to /health/ready, see Telemetry).
        app.MapHealthChecks("/health", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
            { ResponseWriter = DatabaseHealthCheck.Write, Predicate = check => !check.Tags.Contains(Telemetry.ReadyTag) });
        Agents.AgentEndpoints.MapAgentEndpoints(app);
        Manifests.ManifestSchema.MapManifestJsonSchema(app);
        Downloads.CpsDownloads.MapCpsDownloads(app);
        app.MapDashboard();
        return app;
    }
}
