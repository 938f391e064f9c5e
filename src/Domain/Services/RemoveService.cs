using Conpaas.Domain.Applications;

namespace Conpaas.Domain.Services;

/// <summary>removeService: a service that holds VMs is stopped first and removed when the last one is released.</summary>
public static class RemoveService
{
    public static Decision Decide(Service service)
    {
        if (service.RemovalPending) return Decision.Accept();
        var removal = Decision.Accept(new ServiceRemovalRequested());
        if (service.Nodes.Count == 0) return removal.Then(Complete(service));
        return service.State == ServiceState.EPILOGUE ? removal : removal.Then(StopService.Stop(service, "removed by the user"));
    }

    /// <summary>The end of a removal: the service is gone and its subnet returns to the application.</summary>
    internal static Decision Complete(Service service) =>
        Decision.Accept([new ServiceRemoved()], [new StreamEvent(service.ApplicationId, new ServiceSubnetReleased(service.Id, service.Subnet))]);
}
