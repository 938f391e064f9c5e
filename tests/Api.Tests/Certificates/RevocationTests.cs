using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>revokeCertificate and the CRL at /ca/crl: one's own certificates, anyone's for an administrator, at once in the CRL.</summary>
public sealed class RevocationTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    [Fact]
    public async Task a_revoked_certificate_is_listed_by_the_crl_at_the_well_known_url_signed_by_the_ca()
    {
        var user = await app.NewUser();
        var serial = (await user.Issue(Requester.P256().CsrPem)).S("serial");
        var kept = (await user.Issue(Requester.P256().CsrPem)).S("serial");
        var before = await app.FetchCrl();

        Assert.True(await user.Revoke(serial, "KEY_COMPROMISE"));

        var crl = await app.FetchCrl();
        using var ca = Pem(await app.CaPem());
        Assert.True(crl.VerifiesWith(ca), "the CRL's signature does not verify with the CA's key");
        var entry = Assert.Single(crl.Entries, e => e.Serial == serial);
        Assert.Equal(X509RevocationReason.KeyCompromise, entry.Reason);
        Assert.InRange(entry.RevokedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.DoesNotContain(kept, crl.Serials);
        Assert.True(crl.Number > before.Number, $"CRL number {crl.Number} after {before.Number}");
        Assert.True(crl.NextUpdate > DateTimeOffset.UtcNow.AddHours(12), $"nextUpdate {crl.NextUpdate}");
    }

    [Fact]
    public async Task the_crl_is_also_served_as_pem_and_the_ca_certificate_as_pem()
    {
        using var http = app.Http();

        var pem = await http.GetStringAsync("/ca/crl.pem", Ct);
        var ca = await http.GetStringAsync("/ca/certificate", Ct);

        Assert.StartsWith("-----BEGIN X509 CRL-----", pem);
        using var caCertificate = Pem(ca);
        Assert.True(Crl.Parse(Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))))
            .VerifiesWith(caCertificate));
        Assert.True(caCertificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    [Fact]
    public async Task someone_elses_serial_is_not_found_and_the_crl_does_not_change()
    {
        var owner = await app.NewUser();
        var other = await app.NewUser();
        var serial = (await owner.Issue(Requester.P256().CsrPem)).S("serial");
        var before = await app.FetchCrl();

        var error = await other.RevokeFails("NOT_FOUND", serial);
        await other.RevokeFails("NOT_FOUND", "7" + new string('A', 39)); // no such certificate: the same answer

        Assert.Contains(serial, error["message"]!.GetValue<string>());
        var after = await app.FetchCrl();
        Assert.Equal(before.Der, after.Der);
        Assert.DoesNotContain(serial, after.Serials);
        Assert.DoesNotContain(await owner.History(await owner.MyId()), e => e.Type() == "CertificateRevoked");
    }

    [Fact]
    public async Task revoking_twice_answers_true_and_records_one_revocation()
    {
        var user = await app.NewUser();
        var serial = (await user.Issue(Requester.Rsa().CsrPem)).S("serial");

        Assert.True(await user.Revoke(serial, "SUPERSEDED"));
        var first = await app.FetchCrl();
        Assert.True(await user.Revoke(serial.ToLowerInvariant(), "KEY_COMPROMISE"));

        var revocations = (await user.History(await user.MyId())).Where(e => e.Type() == "CertificateRevoked").ToList();
        var revoked = Assert.Single(revocations);
        Assert.Equal(serial, revoked["data"].S("serial"));
        Assert.Equal("superseded", revoked["data"].S("reason"));
        Assert.Equal(user.Username, revoked.S("actor"));
        var crl = await app.FetchCrl();
        Assert.Equal(X509RevocationReason.Superseded, Assert.Single(crl.Entries, e => e.Serial == serial).Reason);
        Assert.Equal(first.Der, crl.Der);
    }

    [Fact]
    public async Task serials_are_accepted_as_openssl_prints_them()
    {
        var user = await app.NewUser();
        var serial = (await user.Issue(Requester.P256().CsrPem)).S("serial");
        var withColons = string.Join(':', serial.Chunk(2).Select(c => new string(c)));

        Assert.True(await user.Revoke("0x" + withColons.ToLowerInvariant()));

        Assert.Contains(serial, (await app.FetchCrl()).Serials);
    }

    [Fact]
    public async Task an_administrator_may_revoke_anyones_certificate_and_it_is_recorded_on_the_owners_stream()
    {
        var user = await app.NewUser();
        var admin = await app.Admin();
        var serial = (await user.Issue(Requester.P256().CsrPem)).S("serial");

        Assert.True(await admin.Revoke(serial));

        Assert.Contains(serial, (await app.FetchCrl()).Serials);
        var revoked = (await user.History(await user.MyId())).Single(e => e.Type() == "CertificateRevoked");
        Assert.Equal("admin", revoked.S("actor"));
        Assert.Equal("unspecified", revoked["data"].S("reason"));
        Assert.Null(Assert.Single((await app.FetchCrl()).Entries, e => e.Serial == serial).Reason);
    }

    [Fact]
    public async Task the_history_shows_the_issue_and_the_revocation_in_order()
    {
        var user = await app.NewUser();
        var me = await user.MyId();
        var serial = (await user.Issue(Requester.P256().CsrPem)).S("serial");
        await user.Revoke(serial, "CESSATION_OF_OPERATION");

        var events = await user.History(me);

        Assert.Equal(["CertificateIssued", "CertificateRevoked"],
            events.Select(e => e.Type()).Where(t => t.StartsWith("Certificate", StringComparison.Ordinal)));
        Assert.All(events.Where(e => e.Type().StartsWith("Certificate", StringComparison.Ordinal)), e => Assert.Equal(serial, e["data"].S("serial")));
        Assert.Equal("cessationOfOperation", events.Single(e => e.Type() == "CertificateRevoked")["data"].S("reason"));
    }

    [Theory]
    [InlineData("not-a-serial")]
    [InlineData("12G4")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task a_malformed_serial_is_invalid_input_naming_the_argument(string serial)
    {
        var user = await app.NewUser();

        var error = await user.RevokeFails("INVALID_INPUT", serial);

        Assert.Equal("serial", error["extensions"]!["field"]!.GetValue<string>());
    }
}
