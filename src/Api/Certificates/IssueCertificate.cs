using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Domain.Users;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

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

/// <summary>issueCertificate: the CA signs the caller's key and the fact is recorded on the caller's stream.</summary>
public sealed record IssueCertificate(Guid UserId, string? CsrPem, Actor By);

public static class IssueCertificateHandler
{
    /// <summary>Only the key is taken from the request; everything else is the CA's decision.</summary>
    public static (IssuedCertificate, Events) Handle(IssueCertificate cmd, [WriteAggregate] User user, CertificateAuthority ca,
        IOptions<CertificateOptions> options, IOptions<DirectorOptions> director, TimeProvider clock, ILogger<IssuedCertificate> log)
    {
        var key = SigningRequests.PublicKeyOf(cmd.CsrPem);
        var profile = CertificateProfiles.ForUser(user, CertificateProfiles.CrlUrl(director.Value));
        using var certificate = ca.Issue(profile, key, clock.GetUtcNow(), options.Value.Validity);
        var issued = profile.Issued(certificate);
        log.LogInformation("Certificate {Serial} issued to {Username}, valid until {NotAfter:u}", issued.Serial, user.Username, issued.NotAfter);
        return (new IssuedCertificate(issued.Serial, issued.Subject, issued.NotBefore, issued.NotAfter, issued.Fingerprint,
            certificate.ExportCertificatePem(), ca.CertificatePem), [issued]);
    }
}
