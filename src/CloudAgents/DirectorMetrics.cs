using System.Diagnostics.Metrics;

namespace Conpaas.CloudAgents;

/// <summary>
/// The Director's own instruments, on one meter (<see cref="MeterName"/>), named conpaas.* like the identity meter's.
/// One instance per host (made by the host's <see cref="IMeterFactory"/>), so tests' hosts do not share numbers.
/// </summary>
public sealed class DirectorMetrics
{
    public const string MeterName = "Conpaas.Director";

    public DirectorMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        ProvisioningTime = Meter.CreateHistogram<double>("conpaas.vm.provisioning.duration", "s",
            "Time from a VM's request to RUNNING");
        CloudCalls = Meter.CreateCounter<long>("conpaas.cloud.calls", "{call}", "Calls to the clouds' APIs, by driver and operation");
        CloudCallErrors = Meter.CreateCounter<long>("conpaas.cloud.call.errors", "{call}", "Cloud calls that failed, by driver and operation");
        CreditsCharged = Meter.CreateCounter<long>("conpaas.credits.charged", "{credit}", "Credits charged to users for VM-hours");
        SubscriptionsOpen = Meter.CreateUpDownCounter<long>("conpaas.subscriptions.open", "{subscription}", "GraphQL subscriptions open now");
        FramesSent = Meter.CreateCounter<long>("conpaas.subscriptions.frames", "{frame}", "Subscription frames sent");
        OperationTime = Meter.CreateHistogram<double>("conpaas.graphql.operation.duration", "s",
            "Time to execute a GraphQL query or mutation, by operation type and name");
    }

    /// <summary>For the observable gauges that read the host's stores (the VM census).</summary>
    public Meter Meter { get; }
    public Histogram<double> ProvisioningTime { get; }
    public Counter<long> CloudCalls { get; }
    public Counter<long> CloudCallErrors { get; }
    public Counter<long> CreditsCharged { get; }
    public UpDownCounter<long> SubscriptionsOpen { get; }
    public Counter<long> FramesSent { get; }
    public Histogram<double> OperationTime { get; }
}
