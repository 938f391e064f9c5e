using Conpaas.Api.Tests.History;
using Xunit;
using static Conpaas.Api.Tests.Certificates.Kit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>The README's steps with openssl (an X.509 implementation that is not .NET's): key and CSR, certificate, CRL.</summary>
public sealed class OpensslTests(CertificateApp app) : IClassFixture<CertificateApp>
{
    [Fact]
    public async Task a_user_follows_the_readme_with_openssl()
    {
        Openssl.RequireIt();
        var folder = Directory.CreateTempSubdirectory("conpaas-user-").FullName;
        try
        {
            var user = await app.NewUser();
            var (made, log) = await Openssl.Run(folder, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "csr.pem", "-subj", "/CN=admin/O=Evil");
            Assert.True(made == 0, log);

            // The mutation as a script sends it: the CSR file's text in a variable.
            var answer = await user.Issue(await File.ReadAllTextAsync(Path.Combine(folder, "csr.pem"), Ct));
            await File.WriteAllTextAsync(Path.Combine(folder, "cert.pem"), answer.S("certificatePem"), Ct);
            using var http = app.Http();
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.pem"), await http.GetStringAsync("/ca/certificate", Ct), Ct);

            var verified = await Openssl.Run(folder, "verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "cert.pem");
            Assert.True(verified.ExitCode == 0, verified.Output);
            var subject = await Openssl.Run(folder, "x509", "-in", "cert.pem", "-noout", "-subject", "-serial", "-nameopt", "RFC2253");
            Assert.Contains($"subject={answer.S("subject")}", subject.Output);
            Assert.Contains($"serial={answer.S("serial")}", subject.Output);
            var matches = await Openssl.Run(folder, "x509", "-in", "cert.pem", "-noout", "-pubkey");
            var ownKey = await Openssl.Run(folder, "pkey", "-in", "key.pem", "-pubout");
            Assert.Equal(ownKey.Output, matches.Output);

            await File.WriteAllBytesAsync(Path.Combine(folder, "crl.der"), await http.GetByteArrayAsync("/ca/crl", Ct), Ct);
            await File.WriteAllTextAsync(Path.Combine(folder, "crl.pem"), await http.GetStringAsync("/ca/crl.pem", Ct), Ct);
            var good = await Openssl.Run(folder, "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "cert.pem");
            Assert.True(good.ExitCode == 0, good.Output);
            var crlText = await Openssl.Run(folder, "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-noout");
            Assert.True(crlText.ExitCode == 0 && crlText.Output.Contains("verify OK", StringComparison.Ordinal), crlText.Output);

            Assert.True(await user.Revoke(answer.S("serial"), "KEY_COMPROMISE"));

            await File.WriteAllTextAsync(Path.Combine(folder, "crl.pem"), await http.GetStringAsync("/ca/crl.pem", Ct), Ct);
            var revoked = await Openssl.Run(folder, "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "cert.pem");
            Assert.True(revoked.ExitCode != 0, revoked.Output);
            Assert.Contains("certificate revoked", revoked.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
