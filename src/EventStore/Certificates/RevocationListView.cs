namespace Conpaas.EventStore.Certificates;

/// <summary>
/// A published CRL, one document per CRL number: two nodes that publish at the same moment both try to insert the next
/// number, one wins and the other builds again on top of it, so numbers only grow and every node serves the same list.
/// </summary>
public sealed class RevocationListView
{
    /// <summary>The CRL number.</summary>
    public long Id { get; set; }
    public DateTimeOffset ThisUpdate { get; set; }
    public DateTimeOffset NextUpdate { get; set; }
    /// <summary>How many certificates had been revoked when it was built (expired ones too): fewer than now means it is out of date.</summary>
    public int Revocations { get; set; }
    /// <summary>SHA-256 of the CA certificate that signed it.</summary>
    public string Issuer { get; set; } = "";
    public byte[] Der { get; set; } = [];
}
