using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>issueCertificate: the CA signs the caller's key under a subject it decides, with a random serial.</summary>
public sealed class IssuingTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    public static TheoryData<string> Keys => ["RSA 2048", "EC P-256", "EC P-384", "RSA 3072"];

    private static Requester Make(string key) => key switch
    {
        "RSA 2048" => Requester.Rsa(2048),
        "RSA 3072" => Requester.Rsa(3072),
        "EC P-256" => Requester.P256(),
        "EC P-384" => Requester.Ec(ECCurve.NamedCurves.nistP384),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task a_csr_gets_a_certificate_for_its_key_under_the_subject_the_ca_decides(string key)
    {
        var user = await app.NewUser();
        var me = await user.MyId();
        var requester = Make(key);
        var before = DateTimeOffset.UtcNow;

        var answer = await user.Issue(requester.CsrPem);

        using var certificate = Pem(answer.S("certificatePem"));
        using var ca = Pem(answer.S("caCertificatePem"));
        AssertChainsTo(certificate, ca);
        Assert.Equal(await app.CaPem(), answer.S("caCertificatePem"));

        // The key is the requester's; the subject is not what the CSR asked for.
        Assert.Equal(requester.PublicKeyInfo, certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal([("2.5.4.10", "ConPaaS"), ("2.5.4.11", "user"), ("2.5.4.3", user.Username), (UidOid, me)], Attributes(certificate.SubjectName));
        Assert.DoesNotContain("Evil", certificate.Subject);
        Assert.DoesNotContain("admin", certificate.Subject);
        Assert.Equal($"UID={me},CN={user.Username},OU=user,O=ConPaaS", answer.S("subject"));

        // Serial: the certificate's, positive, at least 128 bits.
        Assert.Equal(certificate.SerialNumber, answer.S("serial"));
        var serial = SerialValue(answer.S("serial"));
        Assert.True(serial.Sign > 0 && serial.GetBitLength() >= 128, $"serial {answer.S("serial")} has {serial.GetBitLength()} bits");

        // Valid from now (a few minutes of clock skew allowed) for the default year.
        var notAfter = DateTimeOffset.Parse(answer.S("notAfter"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(notAfter, before.AddDays(365).AddMinutes(-2), DateTimeOffset.UtcNow.AddDays(365).AddMinutes(2));
        Assert.Equal(certificate.NotAfter.ToUniversalTime(), notAfter.UtcDateTime);
        Assert.InRange(certificate.NotBefore.ToUniversalTime(), before.UtcDateTime.AddMinutes(-6), DateTime.UtcNow);
        Assert.Equal(certificate.GetCertHashString(HashAlgorithmName.SHA256), answer.S("fingerprint"));
    }

    [Fact]
    public async Task the_certificate_is_for_client_authentication_only_and_names_its_crl()
    {
        var user = await app.NewUser();

        using var certificate = Pem((await user.Issue(Requester.P256().CsrPem)).S("certificatePem"));

        var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.False(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.True(usage.Critical);
        var extended = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal([ClientAuth], extended.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var distribution = certificate.Extensions.Single(e => e.Oid?.Value == "2.5.29.31");
        Assert.Contains("/ca/crl", System.Text.Encoding.ASCII.GetString(distribution.RawData));
        var altNames = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains($"urn:conpaas:user:{await user.MyId()}", altNames.Format(false));
    }

    [Fact]
    public async Task fifty_certificates_have_fifty_different_serials()
    {
        var user = await app.NewUser();
        var requester = Requester.P256();

        var serials = new List<string>();
        for (var batch = 0; batch < 5; batch++)
            serials.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ => (await user.Issue(requester.CsrPem)).S("serial"))));

        Assert.Equal(50, serials.Distinct().Count());
        Assert.All(serials, s => Assert.True(SerialValue(s).GetBitLength() >= 128, s));
    }

    [Fact]
    public async Task an_issued_certificate_is_an_event_on_the_users_stream()
    {
        var user = await app.NewUser();
        var me = await user.MyId();

        var answer = await user.Issue(Requester.Rsa().CsrPem);

        var issued = (await user.History(me)).Single(e => e.Type() == "CertificateIssued");
        Assert.Equal(user.Username, issued.S("actor"));
        var data = issued["data"]!;
        Assert.Equal(answer.S("serial"), data.S("serial"));
        Assert.Equal(answer.S("subject"), data.S("subject"));
        Assert.Equal(answer.S("fingerprint"), data.S("fingerprint"));
        Assert.Equal("user", data.S("role"));
        Assert.Equal(DateTimeOffset.Parse(answer.S("notAfter"), System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(data.S("notAfter"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task an_administrator_gets_a_user_certificate_too()
    {
        var admin = await app.Admin();
        var adminId = await admin.MyId();

        var answer = await admin.Issue(Requester.P256().CsrPem);

        // What an administrator may do is decided by the account at each request, not by the certificate.
        Assert.Equal($"UID={adminId},CN=admin,OU=user,O=ConPaaS", answer.S("subject"));
    }

    [Fact]
    public async Task without_signing_in_nothing_is_issued_or_revoked()
    {
        var anonymous = app.Client();

        await anonymous.IssueFails("UNAUTHENTICATED", Requester.P256().CsrPem);
        await anonymous.RevokeFails("UNAUTHENTICATED", "4A0B");
    }
}
