using static Conpaas.Domain.Services.ServiceRules;

namespace Conpaas.Domain.Services;

/// <summary>stopService: EPILOGUE, every VM released; STOPPED once the last one is gone. A stop wins over a start in progress.</summary>
public static class StopService
{
    public const string ByUser = "stopped by the user";

    public static Decision Decide(Service service, string reason = ByUser)
    {
        if (service.State == ServiceState.EPILOGUE) return Decision.Accept(); // already stopping
        if (ExpectState(service, ServiceState.PROLOGUE, ServiceState.RUNNING, ServiceState.ADAPTING, ServiceState.ERROR) is { } wrong)
            return wrong;
        return Stop(service, reason);
    }

    /// <summary>The stop itself, for every path that ends a service (user, removal, credit exhausted).</summary>
    internal static Decision Stop(Service service, string reason)
    {
        var releases = ReleaseAll(service, reason).ToList();
        object[] events = service.Nodes.Count == 0
            ? [new ServiceStopRequested(reason), new ServiceStopped()]
            : [new ServiceStopRequested(reason)];
        return Decision.Accept(events, releases);
    }
}
