using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Writing;
using Conpaas.EventStore.Certificates;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>A certificate as issueCertificate answers it.</summary>
public sealed record IssuedCertificate(
    string Serial,
    string Subject,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Fingerprint,
    string CertificatePem,
    string CaCertificatePem);

/// <summary>The glue of the certificate slice: check the request, let the CA sign, record the fact on the user's stream.</summary>
public sealed class CertificateCommands(
    CommandSessions sessions,
    CertificateAuthority ca,
    RevocationLists crls,
    Caller caller,
    IOptions<CertificateOptions> options,
    IOptions<DirectorOptions> director,
    TimeProvider clock,
    ILogger<CertificateCommands> log)
{
    /// <summary>Where issued certificates say their CRL is (their CRL distribution point).</summary>
    public static string CrlUrl(DirectorOptions director) => director.Url.TrimEnd('/') + CertificateHosting.CrlPath;

    public async Task<IssuedCertificate> Issue(string? csrPem, CancellationToken ct)
    {
        var user = caller.RequireUser();
        // Only the key is taken from the request; everything else is the CA's decision.
        var key = SigningRequests.PublicKeyOf(csrPem);
        var profile = CertificateProfiles.ForUser(user, CrlUrl(director.Value));
        using var certificate = ca.Issue(profile, key, clock.GetUtcNow(), options.Value.Validity);
        var issued = profile.Issued(certificate);

        // Appends of one user's concurrent requests race for the stream's next version; the loser records again.
        await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            session.Events.Append(user.Id, issued);
            await session.SaveChangesAsync(ct);
            return true;
        });
        log.LogInformation("Certificate {Serial} issued to {Username}, valid until {NotAfter:u}", issued.Serial, user.Username, issued.NotAfter);
        return new IssuedCertificate(issued.Serial, issued.Subject, issued.NotBefore, issued.NotAfter, issued.Fingerprint,
            certificate.ExportCertificatePem(), ca.CertificatePem);
    }

    /// <summary>True once the certificate is revoked (also when it already was); the CRL lists it when this returns.</summary>
    public async Task<bool> Revoke(string? serial, RevocationReason reason, CancellationToken ct)
    {
        var user = caller.RequireUser();
        var key = Serials.Normalize(serial, "serial");
        var revoked = await DecisionCommit.Retrying(async () =>
        {
            await using var session = sessions.Open();
            var owner = (await session.LoadAsync<CertificateView>(key, ct))?.UserId;
            if (owner is null) throw RevokeCertificate.NotFound(key).ToException();
            // The owner's stream version orders concurrent revocations: the loser retries and finds it revoked.
            var stream = await session.Events.FetchForWriting<User>(owner.Value, ct);
            var certificate = await session.LoadAsync<CertificateView>(key, ct);
            var events = RevokeCertificate.Decide(certificate, user, key, reason, clock.GetUtcNow()).EventsOrThrow();
            if (events.Count == 0) return false;
            stream.AppendMany(events);
            await session.SaveChangesAsync(ct);
            return true;
        });
        if (!revoked) return true;

        log.LogInformation("Certificate {Serial} revoked by {Username}", key, user.Username);
        try
        {
            await crls.Publish(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The revocation is recorded; the next request for the CRL finds it uncounted and publishes.
            log.LogWarning(ex, "The CRL could not be published after revoking {Serial}", key);
        }

        return true;
    }
}
