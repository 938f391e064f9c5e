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
        ProvisioningTime = Meter.CreateHistogram("conpaas.vm.provisioning.duration", "s", "Time from a VM's request to RUNNING",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200] });
        CloudCalls = Meter.CreateCounter<long>("conpaas.cloud.calls", "{call}", "Calls to the clouds' APIs, by driver and operation");
        CloudCallErrors = Meter.CreateCounter<long>("conpaas.cloud.call.errors", "{call}", "Cloud calls that failed, by driver and operation");
        CreditsCharged = Meter.CreateCounter<long>("conpaas.credits.charged", "{credit}", "Credits charged to users for VM-hours");
        SubscriptionFrames = Meter.CreateCounter<long>("conpaas.subscription.frames", "{frame}",
            "Results sent to subscribers (next frames), by transport");
        OperationTime = Meter.CreateHistogram("conpaas.graphql.operation.duration", "s",
            "Time to execute a GraphQL query or mutation, by operation type and root field",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    /// <summary>For the observable gauges that read the host's stores (the VM census).</summary>
    public Meter Meter { get; }
    public Histogram<double> ProvisioningTime { get; }
    public Counter<long> CloudCalls { get; }
    public Counter<long> CloudCallErrors { get; }
    public Counter<long> CreditsCharged { get; }
    public Histogram<double> OperationTime { get; }
    public Counter<long> SubscriptionFrames { get; }

    /// <summary>One result sent to a subscriber over <paramref name="transport"/> (websocket, sse).</summary>
    public void FrameSent(string transport) => SubscriptionFrames.Add(1, new KeyValuePair<string, object?>("transport", transport));
}
