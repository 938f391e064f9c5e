using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Domain;

namespace Conpaas.Api.Certificates;

/// <summary>
/// Reading a user's PKCS#10 certification request (PEM). Only its public key is ever used, and only after the request
/// proved it holds the private key (its signature verifies) and the key is strong enough: RSA of 2048 to 16384 bits,
/// or EC on P-256, P-384 or P-521. Every refusal is INVALID_INPUT naming the argument.
/// </summary>
public static class SigningRequests
{
    public const int MaxLength = 16 * 1024;
    public const int MinRsaBits = 2048;
    public const int MaxRsaBits = 16384;

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    private static readonly Dictionary<string, string> Curves = new()
    {
        [ECCurve.NamedCurves.nistP256.Oid.Value!] = "P-256",
        [ECCurve.NamedCurves.nistP384.Oid.Value!] = "P-384",
        [ECCurve.NamedCurves.nistP521.Oid.Value!] = "P-521",
    };

    private const string HowTo = "make one with e.g. openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out csr.pem -subj /CN=me";

    /// <summary>The public key of a valid, well-signed request with a strong key.</summary>
    public static PublicKey PublicKeyOf(string? csrPem, string field = "csrPem")
    {
        if (string.IsNullOrWhiteSpace(csrPem)) throw DomainError.Missing(field).ToException();
        if (csrPem.Length > MaxLength)
            throw Refuse(field, $"The certificate request is too long: {csrPem.Length} characters, at most {MaxLength}");

        if (!PemEncoding.TryFind(csrPem, out var pem))
            throw Refuse(field, csrPem.Contains("-----BEGIN", StringComparison.Ordinal)
                ? "The certificate request is not valid PEM: the base64 text between the BEGIN and END lines is malformed, or the END line is missing"
                : $"The certificate request is not PEM: expected a '-----BEGIN CERTIFICATE REQUEST-----' block; {HowTo}");

        var label = csrPem[pem.Label];
        if (label is not ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"))
            throw Refuse(field, label.Contains("PRIVATE KEY", StringComparison.Ordinal)
                ? $"The PEM block is a '{label}', not a 'CERTIFICATE REQUEST': never send a private key; send the request made with it ({HowTo})"
                : $"The PEM block is a '{label}', not a 'CERTIFICATE REQUEST'; {HowTo}");

        var der = new byte[pem.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(csrPem.AsSpan(pem.Base64Data), der, out var written) || written != der.Length)
            throw Refuse(field, "The certificate request is not valid PEM: its base64 text is malformed");

        CertificateRequest request;
        try
        {
            // The signature is checked below, once the key is known to be one this Director accepts.
            request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
        }
        catch (CryptographicException)
        {
            throw Refuse(field, "The certificate request is not a valid PKCS#10 certification request");
        }

        if (KeyProblem(request.PublicKey) is { } weak) throw Refuse(field, weak);

        try
        {
            CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException)
        {
            throw Refuse(field, "The certificate request's signature does not verify with its public key: it was not signed with the matching private key, or it was altered");
        }

        return request.PublicKey;
    }

    /// <summary>Why a key is not accepted, or null.</summary>
    public static string? KeyProblem(PublicKey key)
    {
        switch (key.Oid.Value)
        {
            case RsaOid:
                using (var rsa = key.GetRSAPublicKey())
                {
                    var bits = rsa?.KeySize ?? 0;
                    if (bits < MinRsaBits) return $"The certificate request's RSA key has {bits} bits; at least {MinRsaBits} are required";
                    if (bits > MaxRsaBits) return $"The certificate request's RSA key has {bits} bits; at most {MaxRsaBits} are accepted";
                    return null;
                }

            case EcOid:
                var curve = CurveOf(key);
                return curve is not null && Curves.ContainsKey(curve)
                    ? null
                    : $"The certificate request's EC key is on curve {(curve is null ? "(explicit parameters)" : new Oid(curve).FriendlyName ?? curve)}; accepted curves are P-256, P-384 and P-521";

            default:
                return $"The certificate request's key algorithm ({key.Oid.FriendlyName ?? key.Oid.Value}) is not accepted; use RSA (at least {MinRsaBits} bits) or EC (P-256, P-384, P-521)";
        }
    }

    /// <summary>The named curve's OID from the key's algorithm parameters (not the platform's curve support), or null.</summary>
    private static string? CurveOf(PublicKey key)
    {
        try
        {
            return key.EncodedParameters?.RawData is { } parameters ? AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out _) : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static DomainException Refuse(string field, string message) => DomainError.Invalid(field, message).ToException();
}
