using Conpaas.Domain.Applications;
using Conpaas.Domain.Files;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;

namespace Conpaas.EventStore;

/// <summary>Every event type, and the names the API shows for them ("ServiceAdded", not Marten's "service_added").</summary>
public static class EventCatalog
{
    public static readonly Type[] All =
    [
        typeof(UserRegistered), typeof(PasswordChanged), typeof(SessionStarted), typeof(SessionEnded),
        typeof(CreditGranted), typeof(CreditCharged), typeof(CreditExhausted),
        typeof(CertificateIssued), typeof(CertificateRevoked), typeof(SsoIdentityLinked),
        typeof(ApplicationCreated), typeof(ApplicationRenamed), typeof(ServiceSubnetAllocated), typeof(ServiceSubnetReleased),
        typeof(ApplicationDeleted),
        typeof(ServiceAdded), typeof(ServiceRenamed), typeof(ServiceStartRequested), typeof(NodesRequested), typeof(NodeReady),
        typeof(NodesRemovalRequested), typeof(NodeReleased), typeof(NodeLost), typeof(NodeFailed), typeof(ServiceRunning), typeof(ServiceStopRequested),
        typeof(ServiceStopped), typeof(ServiceFailed), typeof(ServiceRemovalRequested), typeof(ServiceRemoved),
        typeof(VmRequested), typeof(VmProvisioning), typeof(VmCreated), typeof(VmReady), typeof(VmTerminationRequested),
        typeof(VmTerminated), typeof(VmFailed), typeof(VmLost), typeof(VmCharged),
        typeof(FileUploaded), typeof(FileDeleted), typeof(ServiceFileSet),
    ];

    private static readonly Dictionary<string, string> ByStoredName = All.ToDictionary(t => StoredName(t.Name), t => t.Name);

    /// <summary>Marten's type name for an event class: snake_case of the class name.</summary>
    public static string StoredName(string typeName) =>
        string.Concat(typeName.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    public static string PublicName(string storedName) => ByStoredName.GetValueOrDefault(storedName, storedName);

    /// <summary>Fields of event data that are secrets even in hashed form and never leave the Director.</summary>
    public static readonly string[] SecretFields = ["passwordHash", "tokenHash"];
}
