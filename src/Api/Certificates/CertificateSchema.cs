using Conpaas.Api.GraphQL;
using GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.Certificates;

public sealed class CertificateGraphType : ObjectGraphType<IssuedCertificate>
{
    public CertificateGraphType()
    {
        Name = "Certificate";
        Description = "A certificate signed by the Director's CA. The CA chooses the subject; a CSR only brings the public key.";
        Field<NonNullGraphType<StringGraphType>>("serial")
            .Description("Upper-case hexadecimal, as openssl x509 -noout -serial prints it; pass it to revokeCertificate.")
            .Resolve(c => c.Source.Serial);
        Field<NonNullGraphType<StringGraphType>>("subject")
            .Description("RFC 4514, most specific first: UID=<user id>,CN=<username>,OU=user,O=ConPaaS.")
            .Resolve(c => c.Source.Subject);
        Field<NonNullGraphType<DateTimeScalar>>("notBefore").Resolve(c => c.Source.NotBefore);
        Field<NonNullGraphType<DateTimeScalar>>("notAfter").Resolve(c => c.Source.NotAfter);
        Field<NonNullGraphType<StringGraphType>>("fingerprint")
            .Description("SHA-256 of the certificate (DER), upper-case hexadecimal.")
            .Resolve(c => c.Source.Fingerprint);
        Field<NonNullGraphType<StringGraphType>>("certificatePem").Resolve(c => c.Source.CertificatePem);
        Field<NonNullGraphType<StringGraphType>>("caCertificatePem")
            .Description("The Director's CA certificate (also at GET /ca/certificate).")
            .Resolve(c => c.Source.CaCertificatePem);
    }
}

public sealed class RevocationReasonGraphType : EnumerationGraphType<RevocationReason>
{
    public RevocationReasonGraphType()
    {
        Name = "RevocationReason";
        Description = "Why a certificate is revoked (RFC 5280 reason codes); the CRL carries it.";
    }
}

/// <summary>The certificate slice of the contract: issueCertificate and revokeCertificate.</summary>
public static class CertificateSchema
{
    public static void AddCertificateMutations(this ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CertificateGraphType>>("issueCertificate")
            .Description("A certificate for the caller, signed by the Director's CA from the caller's CSR (PEM).")
            .Argument<NonNullGraphType<StringGraphType>>("csrPem")
            .ResolveAsync(async c => await c.Invoke<IssuedCertificate>(by => new IssueCertificate(by.Id, c.GetArgument<string>("csrPem"), by)));

        mutation.Field<NonNullGraphType<BooleanGraphType>>("revokeCertificate")
            .Description("Revokes one of the caller's certificates (an administrator: anyone's); true also when it was already revoked. " +
                         "The CRL at /ca/crl lists it when this returns.")
            .Argument<NonNullGraphType<StringGraphType>>("serial")
            .Argument<RevocationReasonGraphType>("reason", a => a.DefaultValue = RevocationReason.UNSPECIFIED)
            .ResolveAsync(async c => await RevokeCertificateHandler.Send(c,
                Serials.Normalize(c.GetArgument<string>("serial"), "serial"), c.GetArgument("reason", RevocationReason.UNSPECIFIED)));
    }
}
