using System.Security.Cryptography.X509Certificates;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Certificates;

namespace Conpaas.Api.Certificates;

/// <summary>The RFC 5280 reasons a holder (or an administrator) may give; the CRL carries all but UNSPECIFIED.</summary>
public enum RevocationReason
{
    UNSPECIFIED,
    KEY_COMPROMISE,
    AFFILIATION_CHANGED,
    SUPERSEDED,
    CESSATION_OF_OPERATION,
}

public static class RevocationReasons
{
    /// <summary>The name recorded in <see cref="CertificateRevoked"/>: RFC 5280's (keyCompromise, …).</summary>
    public static string Name(RevocationReason reason) => reason switch
    {
        RevocationReason.KEY_COMPROMISE => "keyCompromise",
        RevocationReason.AFFILIATION_CHANGED => "affiliationChanged",
        RevocationReason.SUPERSEDED => "superseded",
        RevocationReason.CESSATION_OF_OPERATION => "cessationOfOperation",
        _ => "unspecified",
    };

    /// <summary>The CRL entry's reason code; none for unspecified (RFC 5280 §5.3.1: it SHOULD be absent).</summary>
    public static X509RevocationReason? CrlReason(string? name) => name switch
    {
        "keyCompromise" => X509RevocationReason.KeyCompromise,
        "affiliationChanged" => X509RevocationReason.AffiliationChanged,
        "superseded" => X509RevocationReason.Superseded,
        "cessationOfOperation" => X509RevocationReason.CessationOfOperation,
        _ => null,
    };
}

/// <summary>
/// revokeCertificate: a user revokes their own certificates (those of their VMs included), an administrator anyone's.
/// Someone else's serial answers exactly like an unknown one (NOT_FOUND). Revoking a revoked certificate again is
/// accepted and changes nothing: the first revocation, its time and reason stand.
/// </summary>
public static class RevokeCertificate
{
    public static Decision Decide(CertificateView? certificate, User caller, string serial, RevocationReason reason, DateTimeOffset now)
    {
        if (certificate is null || !(caller.IsAdmin || certificate.UserId == caller.Id)) return NotFound(serial);
        if (certificate.RevokedAt is not null) return Decision.Accept();
        return Decision.Accept(new CertificateRevoked(certificate.Id, RevocationReasons.Name(reason), now));
    }

    public static DomainError NotFound(string serial) => DomainError.NotFound($"No certificate with serial {serial}");
}
