using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace Conpaas.EventStore.Certificates;

/// <summary>
/// Every certificate the CA issued, keyed by serial (upper-case hexadecimal), across all users: how revocation finds a
/// serial's owner and how the CRL finds every revoked certificate. Built inline from the user and VM streams.
/// </summary>
public sealed class CertificateView
{
    public string Id { get; set; } = "";
    /// <summary>Whose certificate it is: the user's own, or for a VM's certificate (recorded on the VM's stream) the VM's owner.</summary>
    public Guid UserId { get; set; }
    public string Subject { get; set; } = "";
    public string Role { get; set; } = "";
    public Guid? ApplicationId { get; set; }
    public Guid? VmId { get; set; }
    public DateTimeOffset NotBefore { get; set; }
    public DateTimeOffset NotAfter { get; set; }
    public string Fingerprint { get; set; } = "";
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>The RFC 5280 reason name, e.g. keyCompromise.</summary>
    public string? RevocationReason { get; set; }
}

/// <summary>
/// Keeps <see cref="CertificateView"/> in step with <see cref="CertificateIssued"/> and <see cref="CertificateRevoked"/>,
/// in the transaction that appends them. A plain <see cref="IProjection"/> (it declares its event types where it is
/// registered, <see cref="DirectorStore"/>): a revocation may arrive in the same batch as its issue, which a
/// convention projection's per-event Project could not see.
/// </summary>
public sealed class CertificateProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        // A rebuild may bring a certificate's issue and its revocation in one batch.
        var touched = new Dictionary<string, CertificateView>();
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case CertificateIssued issued:
                    var view = new CertificateView
                    {
                        Id = issued.Serial,
                        UserId = issued.OwnerId ?? e.StreamId,
                        Subject = issued.Subject,
                        Role = issued.Role,
                        ApplicationId = issued.ApplicationId,
                        VmId = issued.VmId,
                        NotBefore = issued.NotBefore,
                        NotAfter = issued.NotAfter,
                        Fingerprint = issued.Fingerprint,
                    };
                    touched[view.Id] = view;
                    // Insert, not store: a serial is never issued twice.
                    operations.Insert(view);
                    break;

                case CertificateRevoked revoked:
                    var known = touched.GetValueOrDefault(revoked.Serial) ?? await operations.LoadAsync<CertificateView>(revoked.Serial, ct);
                    // The first revocation counts; a repeated one changes nothing.
                    if (known is null || known.RevokedAt is not null) break;
                    known.RevokedAt = revoked.RevokedAt;
                    known.RevocationReason = revoked.Reason;
                    touched[known.Id] = known;
                    operations.Store(known);
                    break;
            }
        }
    }
}
