using Conpaas.EventStore.Certificates;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using GraphQL;
using GraphQL.Types;
using Marten;

namespace Conpaas.Api.Certificates;

/// <summary>One of the caller's certificates as the CA recorded it (the PEM itself is not kept: only its holder has it).</summary>
public sealed class CertificateRecordGraphType : ObjectGraphType<CertificateView>
{
    public CertificateRecordGraphType()
    {
        Name = "CertificateRecord";
        Description = "A certificate the Director's CA issued to the caller: cps cert list.";
        Field<NonNullGraphType<StringGraphType>>("serial").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("subject").Resolve(c => c.Source.Subject);
        Field<NonNullGraphType<DateTimeScalar>>("notBefore").Resolve(c => c.Source.NotBefore);
        Field<NonNullGraphType<DateTimeScalar>>("notAfter").Resolve(c => c.Source.NotAfter);
        Field<NonNullGraphType<StringGraphType>>("fingerprint").Resolve(c => c.Source.Fingerprint);
        Field<DateTimeScalar>("revokedAt").Resolve(c => c.Source.RevokedAt);
        Field<StringGraphType>("revocationReason").Resolve(c => c.Source.RevocationReason);
    }
}

/// <summary>The query side of the certificate slice: the caller's own certificates (not those of their VMs).</summary>
public static class CertificateListing
{
    public static void AddCertificateQueries(this ObjectGraphType query) =>
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<CertificateRecordGraphType>>>>("certificates")
            .Description("The caller's user certificates (issueCertificate), newest first, revoked ones included.")
            .ResolveAsync(async c =>
            {
                var user = c.Get<Caller>().RequireUser();
                await using var session = c.Get<IDocumentStore>().QuerySession();
                return await session.Query<CertificateView>()
                    .Where(v => v.UserId == user.Id && v.Role == CertificateProfiles.UserRole)
                    .OrderByDescending(v => v.NotBefore)
                    .ToListAsync(c.CancellationToken);
            });
}
