using JasperFx;
using Conpaas.EventStore.Certificates;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>
/// The CRL served at /ca/crl, kept current: published again at each revocation, whenever a revocation is found that it
/// does not count (say the revoking node stopped before publishing), and once half of Certificates:CrlValidity has
/// passed, so that it is replaced long before its nextUpdate.
/// </summary>
public sealed class RevocationLists(
    IDocumentStore store,
    CertificateAuthority ca,
    IOptions<CertificateOptions> options,
    TimeProvider clock,
    ILogger<RevocationLists> log)
{
    /// <summary>Older CRLs kept after a new one is published (for whoever still fetches by number while it changes).</summary>
    private const int Kept = 10;

    private TimeSpan Validity => options.Value.CrlValidity;

    /// <summary>The current CRL, publishing a new one first when it is missing, out of date or half-way to its nextUpdate.</summary>
    public async Task<RevocationListView> Current(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var latest = await Latest(session, ct);
        var revocations = await session.Query<CertificateView>().CountAsync(c => c.RevokedAt != null, ct);
        var fresh = latest is not null && latest.Revocations == revocations && latest.Issuer == ca.Thumbprint
                    && latest.NextUpdate - clock.GetUtcNow() > Validity / 2;
        return fresh ? latest! : await Publish(ct);
    }

    /// <summary>Builds, signs and stores a CRL of every revoked certificate under the next number.</summary>
    public async Task<RevocationListView> Publish(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var latest = await Latest(session, ct);
            var revoked = await session.Query<CertificateView>().Where(c => c.RevokedAt != null).ToListAsync(ct);
            var now = clock.GetUtcNow();
            var number = (latest?.Id ?? 0) + 1;
            // An entry stays one CRL period past its certificate's expiry (RFC 5280 §3.3), then drops out.
            var entries = revoked.Where(c => c.NotAfter > now - Validity)
                .OrderBy(c => c.RevokedAt)
                .Select(c => new RevokedEntry(c.Id, c.RevokedAt!.Value, RevocationReasons.CrlReason(c.RevocationReason)))
                .ToList();
            var crl = new RevocationListView
            {
                Id = number,
                ThisUpdate = now,
                NextUpdate = now + Validity,
                Revocations = revoked.Count,
                Issuer = ca.Thumbprint,
                Der = ca.BuildCrl(entries, number, now, now + Validity),
            };
            session.Insert(crl);
            var oldest = number - Kept;
            session.DeleteWhere<RevocationListView>(x => x.Id <= oldest);
            try
            {
                await session.SaveChangesAsync(ct);
                log.LogDebug("CRL {Number} published with {Entries} entries, next update {NextUpdate:u}", number, entries.Count, crl.NextUpdate);
                return crl;
            }
            catch (DocumentAlreadyExistsException) when (attempt < 20)
            {
                // Another node published this number first; build again on top of theirs.
            }
        }
    }

    private static Task<RevocationListView?> Latest(IQuerySession session, CancellationToken ct) =>
        session.Query<RevocationListView>().OrderByDescending(x => x.Id).FirstOrDefaultAsync(ct);
}
