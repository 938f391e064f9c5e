using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>A Director whose CRLs are valid for 6 seconds and certificates for 2 days.</summary>
public sealed class ShortLivedCrlApp : CertificateApp
{
    protected override IReadOnlyDictionary<string, string?> CertificateSettings => new Dictionary<string, string?>
    {
        ["Certificates:CrlValidity"] = "00:00:06",
        ["Certificates:Validity"] = "2.00:00:00",
    };
}

/// <summary>The CRL is replaced before it expires, and the validity of certificates is a setting.</summary>
public sealed class CrlRenewalTests(ShortLivedCrlApp app) : IClassFixture<ShortLivedCrlApp>
{
    [Fact]
    public async Task the_served_crl_is_never_expired_and_is_replaced_before_its_next_update()
    {
        var user = await app.NewUser();
        var serial = (await user.Issue(Requester.P256().CsrPem)).S("serial");
        await user.Revoke(serial);
        var first = await app.FetchCrl();
        Assert.NotNull(first.NextUpdate);
        Assert.InRange(first.NextUpdate!.Value - first.ThisUpdate, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));

        var numbers = new HashSet<System.Numerics.BigInteger>();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(500, Ct);
            var crl = await app.FetchCrl();
            Assert.True(crl.NextUpdate > DateTimeOffset.UtcNow, $"the CRL served at {DateTimeOffset.UtcNow:O} expired at {crl.NextUpdate:O}");
            Assert.Contains(serial, crl.Serials);
            numbers.Add(crl.Number!.Value);
        }

        Assert.True(numbers.Max() > first.Number && numbers.Count >= 2, $"the CRL was not replaced in 10 s although it is valid for 6 s: {string.Join(", ", numbers)}");
    }

    [Fact]
    public async Task the_validity_of_certificates_is_a_setting()
    {
        var user = await app.NewUser();

        var notAfter = DateTimeOffset.Parse((await user.Issue(Requester.Rsa().CsrPem)).S("notAfter"), System.Globalization.CultureInfo.InvariantCulture);

        Assert.InRange(notAfter, DateTimeOffset.UtcNow.AddDays(2).AddMinutes(-2), DateTimeOffset.UtcNow.AddDays(2).AddMinutes(2));
    }
}
