using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>Requests the CA refuses: INVALID_INPUT naming csrPem, and nothing issued (no event on the user's stream).</summary>
public sealed class BadRequestTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    private static string PemOf(string label, byte[] data) => PemEncoding.WriteString(label, data);

    private static string WrongSigner()
    {
        using var key = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=me"), new PublicKey(key), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return PemOf("CERTIFICATE REQUEST", request.CreateSigningRequest(X509SignatureGenerator.CreateForRSA(other, RSASignaturePadding.Pkcs1)));
    }

    private static string Tampered()
    {
        var pem = Requester.Rsa().CsrPem;
        var der = Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]);
        der[^1] ^= 0x01; // the last byte of the signature
        return PemOf("CERTIFICATE REQUEST", der);
    }

    private static string SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=me", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem();
    }

    private static string PrivateKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static string DsaRequest()
    {
        // A well-formed request whose key is DSA: neither RSA nor EC.
        using var key = DSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=me"), new PublicKey(key), HashAlgorithmName.SHA256);
        return PemOf("CERTIFICATE REQUEST", request.CreateSigningRequest(new DsaSigner(key)));
    }

    public static TheoryData<string, string, string> Bad => new()
    {
        { "not PEM", "hello, I would like a certificate", "not PEM" },
        { "garbage base64", "-----BEGIN CERTIFICATE REQUEST-----\n!!not*base64$$\n-----END CERTIFICATE REQUEST-----\n", "not valid PEM" },
        { "no END line", "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n", "not valid PEM" },
        { "base64 of no request", PemOf("CERTIFICATE REQUEST", RandomNumberGenerator.GetBytes(300)), "not a valid PKCS#10" },
        { "a certificate", SelfSignedCertificate(), "'CERTIFICATE', not a 'CERTIFICATE REQUEST'" },
        { "a private key", PrivateKey(), "never send a private key" },
        { "RSA 1024", Requester.Rsa(1024).CsrPem, "1024 bits; at least 2048" },
        { "EC brainpoolP256r1", Requester.Ec(ECCurve.NamedCurves.brainpoolP256r1).CsrPem, "accepted curves are P-256, P-384 and P-521" },
        { "DSA", DsaRequest(), "key algorithm" },
        { "signed with another key", WrongSigner(), "signature does not verify" },
        { "tampered", Tampered(), "signature does not verify" },
        { "too long", Requester.P256().CsrPem + new string('\n', 20_000), "too long" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public async Task a_bad_request_is_invalid_input_naming_csrPem_and_nothing_is_issued(string what, string csrPem, string message)
    {
        var user = await app.NewUser();
        var me = await user.MyId();
        var eventsBefore = (await user.History(me)).Count;

        var error = await user.IssueFails("INVALID_INPUT", csrPem);

        Assert.Equal("csrPem", error["extensions"]!["field"]!.GetValue<string>());
        var said = error["message"]!.GetValue<string>();
        Assert.True(said.Contains(message, StringComparison.Ordinal), $"{what}: expected '{message}' in \"{said}\"");
        var events = await user.History(me);
        Assert.Equal(eventsBefore, events.Count);
        Assert.DoesNotContain(events, e => e.Type() == "CertificateIssued");
    }

    [Fact]
    public async Task an_empty_request_is_a_missing_field()
    {
        var user = await app.NewUser();

        var error = await user.IssueFails("INVALID_INPUT", "  ");

        Assert.Equal("csrPem", error["extensions"]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_serial_that_is_not_hexadecimal_comes_back_quoted_short_in_the_refusal()
    {
        var user = await app.NewUser();

        var error = await user.RevokeFails("INVALID_INPUT", new string('\u202e', 5_000));

        var message = error["message"]!.GetValue<string>();
        Assert.True(message.Length < 300, $"a message of {message.Length} characters");
        Assert.Contains("is not a certificate serial number", message);
    }

    /// <summary>DSA signatures for a CSR, which the BCL has no ready-made generator for.</summary>
    private sealed class DsaSigner(DSA key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence()) writer.WriteObjectIdentifier("2.16.840.1.101.3.4.3.2"); // dsa-with-sha256
            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            key.SignData(data, hashAlgorithm, DSASignatureFormat.Rfc3279DerSequence);

        protected override PublicKey BuildPublicKey() => new(key);
    }
}
