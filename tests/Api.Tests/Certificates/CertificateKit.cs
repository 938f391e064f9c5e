using System.Diagnostics;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Certificates;

/// <summary>The Director with its CA in a temporary folder of its own (removed afterwards).</summary>
public class CertificateApp : DirectorApp
{
    public CertificateApp() : this(Directory.CreateTempSubdirectory("conpaas-ca-").FullName, ownsFolder: true)
    {
    }

    /// <summary>A node that uses the CA folder given (e.g. another node's) and, unless it owns it, leaves it in place.</summary>
    protected CertificateApp(string caFolder, bool ownsFolder)
    {
        CaFolder = caFolder;
        OwnsFolder = ownsFolder;
    }

    public string CaFolder { get; }
    private bool OwnsFolder { get; }

    protected virtual IReadOnlyDictionary<string, string?> CertificateSettings => new Dictionary<string, string?>();

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(CertificateSettings) { ["Certificates:CaDirectory"] = CaFolder };


    /// <summary>GET /ca/certificate, as a relying party fetches it.</summary>
    public async Task<string> CaPem()
    {
        using var http = Http();
        using var response = await http.GetAsync("/ca/certificate", Kit.Ct);
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync(Kit.Ct);
    }

    /// <summary>GET /ca/crl (DER), parsed here independently of the Director's code.</summary>
    public async Task<Crl> FetchCrl()
    {
        using var http = Http();
        using var response = await http.GetAsync("/ca/crl", Kit.Ct);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/pkix-crl", response.Content.Headers.ContentType?.MediaType);
        return Crl.Parse(await response.Content.ReadAsByteArrayAsync(Kit.Ct));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (OwnsFolder && Directory.Exists(CaFolder)) Directory.Delete(CaFolder, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Another Director node whose CA folder is <paramref name="caFolder"/> (its own database).</summary>
public sealed class CaNode(string caFolder) : CertificateApp(caFolder, ownsFolder: false);

/// <summary>A key pair and the certification request a user's tool would make with it.</summary>
public sealed record Requester(AsymmetricAlgorithm Key, string CsrPem)
{
    public byte[] PublicKeyInfo => Key switch
    {
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
        _ => throw new NotSupportedException(),
    };

    /// <summary>What the CSR asks for (and must not get).</summary>
    public const string AskedSubject = "CN=admin, O=Evil, OU=admin";

    public static Requester Rsa(int bits = 2048)
    {
        var key = RSA.Create(bits);
        return new(key, new CertificateRequest(AskedSubject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem());
    }

    public static Requester Ec(ECCurve curve)
    {
        var key = ECDsa.Create(curve);
        return new(key, new CertificateRequest(AskedSubject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
    }

    public static Requester P256() => Ec(ECCurve.NamedCurves.nistP256);
}

/// <summary>A CRL (RFC 5280 §5.1) read with the BCL's ASN.1 reader, so the tests do not trust the code they test.</summary>
public sealed record Crl(byte[] Der, byte[] Tbs, byte[] Signature, byte[] Issuer, DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate,
    IReadOnlyList<CrlEntry> Entries, BigInteger? Number)
{
    public IEnumerable<string> Serials => Entries.Select(e => e.Serial);

    public static Crl Parse(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadEncodedValue().ToArray();
        outer.ReadSequence(); // signatureAlgorithm
        var signature = outer.ReadBitString(out _);

        var t = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        if (t.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) t.ReadInteger(); // version
        t.ReadSequence(); // signature
        var issuer = t.ReadEncodedValue().ToArray();
        var thisUpdate = ReadTime(t);
        DateTimeOffset? nextUpdate = t.HasData && IsTime(t.PeekTag()) ? ReadTime(t) : null;

        var entries = new List<CrlEntry>();
        if (t.HasData && t.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var revoked = t.ReadSequence();
            while (revoked.HasData)
            {
                var entry = revoked.ReadSequence();
                var serial = Convert.ToHexString(entry.ReadIntegerBytes().Span).TrimStart('0');
                var at = ReadTime(entry);
                X509RevocationReason? reason = null;
                if (entry.HasData)
                    foreach (var (oid, value) in Extensions(entry.ReadSequence()))
                        if (oid == "2.5.29.21") reason = new AsnReader(value, AsnEncodingRules.DER).ReadEnumeratedValue<X509RevocationReason>();
                entries.Add(new CrlEntry(serial, at, reason));
            }
        }

        BigInteger? number = null;
        if (t.HasData)
            foreach (var (oid, value) in Extensions(t.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence()))
                if (oid == "2.5.29.20") number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();

        return new Crl(der, tbs, signature, issuer, thisUpdate, nextUpdate, entries, number);
    }

    /// <summary>Signed by this CA's key and naming it as the issuer.</summary>
    public bool VerifiesWith(X509Certificate2 ca)
    {
        using var key = ca.GetECDsaPublicKey()!;
        return Issuer.AsSpan().SequenceEqual(ca.SubjectName.RawData)
               && key.VerifyData(Tbs, Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static IEnumerable<(string Oid, byte[] Value)> Extensions(AsnReader sequence)
    {
        var list = new List<(string, byte[])>();
        while (sequence.HasData)
        {
            var extension = sequence.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) extension.ReadBoolean();
            list.Add((oid, extension.ReadOctetString()));
        }

        return list;
    }

    private static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}

public sealed record CrlEntry(string Serial, DateTimeOffset RevokedAt, X509RevocationReason? Reason);

/// <summary>The certificate mutations as a user's script sends them, and what the tests check on their answers.</summary>
internal static class Kit
{
    public const string CertificateFields = "serial subject notBefore notAfter fingerprint certificatePem caCertificatePem";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string UidOid = "0.9.2342.19200300.100.1.1";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonNode> Issue(this GraphQLClient client, string csrPem) =>
        (await client.Ok($"mutation($csr: String!) {{ issueCertificate(csrPem: $csr) {{ {CertificateFields} }} }}", new { csr = csrPem }))["issueCertificate"]!;

    public static Task<JsonObject> IssueFails(this GraphQLClient client, string code, string csrPem) =>
        client.Fails(code, "mutation($csr: String!) { issueCertificate(csrPem: $csr) { serial } }", new { csr = csrPem });

    public static async Task<bool> Revoke(this GraphQLClient client, string serial, string? reason = null) =>
        (await client.Ok("mutation($s: String!, $r: RevocationReason) { revokeCertificate(serial: $s, reason: $r) }",
            new { s = serial, r = reason }))["revokeCertificate"]!.GetValue<bool>();

    public static Task<JsonObject> RevokeFails(this GraphQLClient client, string code, string serial) =>
        client.Fails(code, "mutation($s: String!) { revokeCertificate(serial: $s) }", new { s = serial });

    public static X509Certificate2 Pem(string pem) => X509Certificate2.CreateFromPem(pem);

    /// <summary>Whether the certificate chains to the CA for client authentication (revocation is checked elsewhere).</summary>
    public static void AssertChainsTo(X509Certificate2 certificate, X509Certificate2 ca, string? usage = ClientAuth)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (usage is not null) chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        var built = chain.Build(certificate);
        Assert.True(built, "the certificate does not chain to the CA: " + string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
        Assert.Equal(ca.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
    }

    /// <summary>The subject's attributes in encoding order (O first), as (OID, value).</summary>
    public static List<(string Oid, string? Value)> Attributes(X500DistinguishedName name) =>
        name.EnumerateRelativeDistinguishedNames(reversed: false).Select(r => (r.GetSingleElementType().Value!, r.GetSingleElementValue())).ToList();

    public static BigInteger SerialValue(string hex) => BigInteger.Parse("0" + hex, System.Globalization.NumberStyles.HexNumber);
}

/// <summary>openssl, when the machine has it: an implementation of X.509 that is not .NET's.</summary>
internal static class Openssl
{
    public static string? Path { get; } = new[] { "/usr/bin/openssl", "/usr/local/bin/openssl" }.FirstOrDefault(File.Exists);

    public static void RequireIt()
    {
        if (Path is null) Assert.Skip("openssl is not installed");
    }

    /// <summary>Runs openssl in <paramref name="folder"/>; its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> Run(string folder, params string[] args)
    {
        var psi = new ProcessStartInfo(Path!) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync(Kit.Ct);
        var error = process.StandardError.ReadToEndAsync(Kit.Ct);
        await process.WaitForExitAsync(Kit.Ct);
        return (process.ExitCode, await output + await error);
    }
}
