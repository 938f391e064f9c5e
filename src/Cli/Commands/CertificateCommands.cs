using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// cps cert new|list|revoke|ca (cps-tools `user get_certificate`): client certificates signed by the Director's CA.
/// The key is made here and never leaves the machine: the Director only sees a signing request.
/// </summary>
internal static class CertificateCommands
{
    /// <summary>The file names of the original's certs.zip, in ~/.conpaas as cps-tools kept them.</summary>
    public const string CertificateFile = "cert.pem", KeyFile = "key.pem", CaFile = "ca_cert.pem";

    public static Command Build(Globals g) => new("cert", "Your client certificates, signed by the Director's CA")
    {
        New(g), List(g), Revoke(g), Ca(g),
    };

    private static Command New(Globals g)
    {
        var command = new Command("new",
            $"Make a key and a signing request here, have the Director issue the certificate, and write {CertificateFile}, {KeyFile} (0600) and {CaFile} to ~/.conpaas");
        g.Handle(command, async (ctx, _) =>
        {
            ctx.RequireSignIn("a certificate");
            using var key = RSA.Create(3072);
            // The CA sets the subject itself (UID, CN, role): the request only carries the key and proves it is held.
            var request = new CertificateRequest($"CN={ctx.Settings.Username ?? "cps"}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var data = await ctx.Send("""
                mutation($csr: String!) { issueCertificate(csrPem: $csr) { serial subject notBefore notAfter fingerprint certificatePem caCertificatePem } }
                """, new { csr = request.CreateSigningRequestPem() });
            var issued = data["issueCertificate"];

            CpsSettings.WritePrivate(ctx.ConfigDirectory, KeyFile, s => s.Write(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n")));
            CpsSettings.WritePrivate(ctx.ConfigDirectory, CertificateFile, s => s.Write(Encoding.ASCII.GetBytes(issued.Text("certificatePem")!)));
            CpsSettings.WritePrivate(ctx.ConfigDirectory, CaFile, s => s.Write(Encoding.ASCII.GetBytes(issued.Text("caCertificatePem")!)));
            ctx.Confirm(data, $"Certificate {issued.Text("serial")} ({issued.Text("subject")}) valid until {issued.Time("notAfter")}; " +
                              $"written to {Path.Combine(ctx.ConfigDirectory, CertificateFile)} with its key ({KeyFile}) and the CA ({CaFile})");
        });
        return command;
    }

    private static Command List(Globals g)
    {
        var command = new Command("list", "The certificates the Director issued to you, newest first, revoked ones included");
        g.Handle(command, async (ctx, _) =>
        {
            var data = await ctx.Send("{ certificates { serial subject notBefore notAfter fingerprint revokedAt revocationReason } }");
            var certificates = data.Array("certificates");
            var local = LocalSerial(ctx);
            ctx.Show(data, o =>
            {
                if (certificates.Count == 0)
                {
                    o.WriteLine("No certificates (cps cert new makes one).");
                    return;
                }

                Output.Table(o, ["SERIAL", "SUBJECT", "ISSUED", "EXPIRES", "REVOKED", "HERE"], certificates.Select(c => new[]
                {
                    c.Text("serial"), c.Text("subject"), c.Time("notBefore"), c.Time("notAfter"),
                    c.Text("revokedAt") is null ? "no" : $"{c.Time("revokedAt")} ({c.Text("revocationReason")})",
                    c.Text("serial") == local ? "yes" : "",
                }));
            });
        });
        return command;
    }

    /// <summary>The serial of ~/.conpaas/cert.pem, if there is a readable one.</summary>
    private static string? LocalSerial(CommandContext ctx)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(ctx.ConfigDirectory, CertificateFile)));
            return certificate.SerialNumber;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return null;
        }
    }

    private static Command Revoke(Globals g)
    {
        var serial = new Argument<string>("SERIAL") { Description = "The certificate's serial (cps cert list shows them)" };
        var reason = new Option<string?>("--reason")
        {
            Description = "Why (the CRL says so): unspecified, key-compromise, affiliation-changed, superseded, cessation-of-operation",
            HelpName = "REASON",
        };
        reason.AcceptOnlyFromAmong("unspecified", "key-compromise", "affiliation-changed", "superseded", "cessation-of-operation");
        var command = new Command("revoke", "Revoke one of your certificates: the Director's CRL lists it at once") { serial, reason };
        g.Handle(command, async (ctx, r) =>
        {
            var why = (r.GetValue(reason) ?? "unspecified").Replace('-', '_').ToUpperInvariant();
            var data = await ctx.Send("mutation($s: String!, $r: RevocationReason) { revokeCertificate(serial: $s, reason: $r) }",
                new { s = r.GetValue(serial), r = why });
            ctx.Confirm(data, $"Certificate {r.GetValue(serial)} revoked");
        });
        return command;
    }

    private static Command Ca(Globals g)
    {
        var command = new Command("ca", "Print the Director's CA certificate (PEM), as trusted for this Director, with its fingerprint on standard error");
        g.Handle(command, async (ctx, _) =>
        {
            var pem = await ctx.GetText("ca/certificate");
            using var ca = X509Certificate2.CreateFromPem(pem);
            var fingerprint = DirectorClient.Fingerprint(ca);
            ctx.Show(new JsonObject { ["subject"] = ca.Subject, ["fingerprint"] = fingerprint, ["notAfter"] = ca.NotAfter.ToUniversalTime().ToString("O"), ["pem"] = pem },
                o => o.Write(pem));
            // On standard error: standard output is the PEM alone (cps cert ca > ca.pem).
            if (!ctx.Quiet && !ctx.Json) ctx.Err.WriteLine($"{ca.Subject}, SHA-256 {fingerprint}");
        });
        return command;
    }
}
