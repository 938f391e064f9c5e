using System.Security.Cryptography.X509Certificates;
using Conpaas.Domain;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Certificates;
using GraphQL;
using Marten;

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
public sealed record RevokeCertificate(string Serial, RevocationReason Reason, Actor By)
{
    public static Decision Decide(CertificateView? certificate, Actor by, string serial, RevocationReason reason, DateTimeOffset now)
    {
        if (certificate is null || !by.MaySee(certificate.UserId)) return NotFound(serial);
        if (certificate.RevokedAt is not null) return Decision.Accept();
        return Decision.Accept(new CertificateRevoked(certificate.Id, RevocationReasons.Name(reason), now));
    }

    public static DomainError NotFound(string serial) => DomainError.NotFound($"No certificate with serial {serial}");
}

public static class RevokeCertificateHandler
{
    /// <summary>The mutation: true once the certificate is revoked (also when it already was); the CRL lists it when this returns.</summary>
    public static async Task<bool> Send(IResolveFieldContext c, string serial, RevocationReason reason)
    {
        if (!await c.Invoke<bool>(by => new RevokeCertificate(serial, reason, by))) return true;
        try
        {
            await c.Get<RevocationLists>().Publish(c.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The revocation is recorded; the next request for the CRL finds it uncounted and publishes.
            c.Get<ILogger<RevokeCertificate>>().LogWarning(ex, "The CRL could not be published after revoking {Serial}", serial);
        }

        return true;
    }

    /// <summary>
    /// True when this call revoked it. The owner's stream is found from the certificate, so it is fetched here rather
    /// than by the aggregate workflow; its version orders concurrent revocations (the loser runs again and finds it revoked).
    /// </summary>
    public static async Task<bool> Handle(RevokeCertificate cmd, IDocumentSession session, TimeProvider clock, ILogger<RevokeCertificate> log,
        CancellationToken ct)
    {
        var owner = (await session.LoadAsync<CertificateView>(cmd.Serial, ct))?.UserId ?? throw RevokeCertificate.NotFound(cmd.Serial).ToException();
        var stream = await session.Events.FetchForWriting<User>(owner, ct);
        var certificate = await session.LoadAsync<CertificateView>(cmd.Serial, ct);
        var events = RevokeCertificate.Decide(certificate, cmd.By, cmd.Serial, cmd.Reason, clock.GetUtcNow()).EventsOrThrow();
        if (events.Count == 0) return false;
        stream.AppendMany(events);
        log.LogInformation("Certificate {Serial} revoked by {Username}", cmd.Serial, cmd.By.Name);
        return true;
    }
}
