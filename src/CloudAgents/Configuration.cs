using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Drivers;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.CloudAgents.Provisioning;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.ErrorHandling;

namespace Conpaas.CloudAgents;

/// <summary>Registers the cloud agents: clouds and VPN settings, drivers, the provisioning pipeline, reconciliation.</summary>
public static class Configuration
{
    public static IServiceCollection AddCloudAgents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<CloudOptions>, CloudOptionsValidator>();
        services.AddSingleton<IValidateOptions<VpnOptions>, VpnOptionsValidator>();
        services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();
        services.AddOptions<CloudOptions>().Configure(o => configuration.GetSection(CloudOptions.Section).Bind(o.Clouds)).ValidateOnStart();
        services.AddOptions<VpnOptions>().BindConfiguration("Vpn").ValidateOnStart();
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateOnStart();

        services.AddHttpClient();
        services.AddCloudHttp();
        services.AddSingleton<CloudCatalog>();
        services.AddSingleton<DirectorMetrics>();
        services.AddSingleton<CloudDriverRegistry>();
        services.AddSingleton<ServiceContextFactory>();
        services.AddSingleton<BootContexts>();
        // The API's commands save their VM intents through it (CloudWork); the agents state their work where they decide it.
        services.AddSingleton<InFlight>();
        services.AddSingleton<VmOutcomeRecorder>();
        if (Agents(configuration).Enabled) services.AddHostedService<Reconciler>();

        services.AddOptions<Credits.CreditOptions>().BindConfiguration(Credits.CreditOptions.Section)
            .Validate(o => o.ChargePeriod > TimeSpan.Zero, "Credits:ChargePeriod must be positive").ValidateOnStart();
        services.AddSingleton<Credits.Charger>();
        if ((configuration.GetSection(Credits.CreditOptions.Section).Get<Credits.CreditOptions>() ?? new()).Enabled)
            services.AddHostedService<Credits.CreditLoop>();
        return services;
    }

    /// <summary>The pipeline's durable local queues, retries and scheduling.</summary>
    public static void ConfigureCloudAgents(this WolverineOptions opts, IConfiguration configuration)
    {
        var agents = Agents(configuration);
        opts.Discovery.IncludeAssembly(typeof(Configuration).Assembly);
        // Longer than any driver call (Agents:DriverCallTimeout), so a slow cloud ends as a retried transient failure.
        opts.DefaultExecutionTimeout = TimeSpan.FromMinutes(5);
        opts.PublishMessage<ProvisionVm>().ToLocalQueue("provisioning");
        opts.PublishMessage<CheckVmReadiness>().ToLocalQueue("readiness");
        opts.PublishMessage<TerminateVm>().ToLocalQueue("termination");
        // Wide: a scale-out of many services waits mostly on each service's lock and on the cloud, not on this node's CPU.
        opts.LocalQueue("provisioning").MaximumParallelMessages(64);
        opts.LocalQueue("readiness").MaximumParallelMessages(32);
        opts.LocalQueue("termination").MaximumParallelMessages(16);
        // Transient cloud failures: the same backoff for every handler (ProvisionVmHandler.Configure adds what happens after it).
        opts.OnException<CloudDriverException>(e => e.Transient).ScheduleRetry(ProvisionVmHandler.Backoff).Then.MoveToErrorQueue();
        // Lost races between writers of one stream (an optimistic version check, or PostgreSQL breaking a lock cycle):
        // the message runs again shortly and reads the state anew. The only retry of conflicts in the agents.
        opts.OnException<JasperFx.ConcurrencyException>().Or(EventStore.PostgresErrors.IsDeadlock)
            .RetryWithCooldown(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500))
            .Then.ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        // Readiness checks are scheduled messages: poll for due ones at least as often as a check is due.
        var poll = agents.ReadinessPollInterval < TimeSpan.FromSeconds(1) ? agents.ReadinessPollInterval : TimeSpan.FromSeconds(1);
        opts.Durability.ScheduledJobPollingTime = poll;
        opts.Durability.ScheduledJobFirstExecution = poll;
    }

    private static AgentOptions Agents(IConfiguration configuration) =>
        configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
}
