namespace Conpaas.Domain.Vms;

/// <summary>
/// Deterministic VM names, e.g. conpaas-u4f2a91c0-a7be01d22-s2-helloworld-3 (ConPaaS: DEPLOYMENT_NAME-u&lt;uid&gt;-a&lt;aid&gt;-s&lt;sid&gt;-&lt;type&gt;).
/// The name is the idempotency token at the cloud, so a retried create finds the VM instead of making another.
/// </summary>
public static class VmNaming
{
    public const string DefaultDeployment = "conpaas";

    public static string Name(string deployment, Guid ownerId, Guid applicationId, int sid, string serviceType, int number) =>
        $"{deployment}-u{Short(ownerId)}-a{Short(applicationId)}-s{sid}-{serviceType}-{number}";

    // The last 8 hex digits: the random part of a version-7 Guid (the first ones are a timestamp).
    private static string Short(Guid id) => id.ToString("N")[^8..];
}
