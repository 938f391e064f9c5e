using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Conpaas.Api.Certificates;

/// <summary>A revoked certificate as a CRL lists it.</summary>
public sealed record RevokedEntry(string Serial, DateTimeOffset RevokedAt, X509RevocationReason? Reason);

/// <summary>
/// The Director's certificate authority. It is read from the CA folder (Certificates:CaDirectory), or created there at
/// the first start: an ECDSA P-256 key in ca.key (mode 0600) and a self-signed CA certificate in ca.crt. Creation
/// happens under an exclusive lock on ca.lock and the key file is the last thing to appear, so nodes that start
/// together (sharing the folder) end up with one CA. An operator may bring a CA of their own (ECDSA P-256/384/521 or
/// RSA of at least 2048 bits, with keyCertSign and cRLSign) by putting ca.crt and ca.key there before the first start.
/// </summary>
public sealed class CertificateAuthority
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    /// <summary>Certificates start a little in the past, so that a client whose clock is behind accepts them at once.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly CertificateOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<CertificateAuthority> _log;
    private readonly Lazy<X509Certificate2> _certificate;
    private readonly Lazy<string> _pem;

    public CertificateAuthority(string folder, CertificateOptions options, TimeProvider clock, ILogger<CertificateAuthority> log)
    {
        Folder = folder;
        _options = options;
        _clock = clock;
        _log = log;
        _certificate = new Lazy<X509Certificate2>(LoadOrCreate, LazyThreadSafetyMode.ExecutionAndPublication);
        _pem = new Lazy<string>(() => Certificate.ExportCertificatePem(), LazyThreadSafetyMode.ExecutionAndPublication);
        _signing = new Lazy<Signing>(() => Signing.Of(Certificate), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// What every issue needs from the CA, taken out of its certificate once: each extraction of a key from an
    /// X509Certificate2 goes through OpenSSL 3's decoders (a profile of P3 showed certificate work at about an eighth of
    /// the Director's CPU per VM, the key extractions a good part of it).
    /// </summary>
    private sealed record Signing(HashAlgorithmName Hash, RSASignaturePadding? Padding, X509SignatureGenerator Generator, X509Extension AuthorityKeyId)
    {
        public static Signing Of(X509Certificate2 ca)
        {
            // The key lives as long as the process, like the CA certificate that holds it.
            var ecKey = ca.GetECDsaPrivateKey();
            var generator = ecKey is not null
                ? X509SignatureGenerator.CreateForECDsa(ecKey)
                : X509SignatureGenerator.CreateForRSA(ca.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1);
            return new(CertificateAuthority.HashAlgorithm(ca), CertificateAuthority.Padding(ca), generator, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        }
    }

    private readonly Lazy<Signing> _signing;
    private readonly Lock _signingKey = new(); // a key object is not documented as safe to sign with from several threads

    public string Folder { get; }

    /// <summary>The CA certificate with its private key; loading (or creating) it the first time it is needed.</summary>
    public X509Certificate2 Certificate => _certificate.Value;

    public string CertificatePem => _pem.Value;

    /// <summary>SHA-256 of the CA certificate: what a published CRL remembers it was signed by.</summary>
    public string Thumbprint => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>Signs a certificate for <paramref name="subjectKey"/> under the profile; never valid beyond the CA itself.</summary>
    public X509Certificate2 Issue(CertificateProfile profile, PublicKey subjectKey, DateTimeOffset now, TimeSpan validity)
    {
        var ca = Certificate;
        var signing = _signing.Value;
        var request = new CertificateRequest(profile.Subject, subjectKey, signing.Hash, signing.Padding);
        foreach (var extension in profile.Extensions) request.CertificateExtensions.Add(extension);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, false));
        request.CertificateExtensions.Add(signing.AuthorityKeyId);

        var notBefore = Max(now - ClockSkew, new DateTimeOffset(ca.NotBefore));
        var notAfter = Min(now + validity, new DateTimeOffset(ca.NotAfter));
        lock (_signingKey) return request.Create(ca.SubjectName, signing.Generator, notBefore, notAfter, Serials.New());
    }

    /// <summary>A CRL (DER) of the given entries, signed by the CA.</summary>
    public byte[] BuildCrl(IEnumerable<RevokedEntry> entries, long number, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var entry in entries) builder.AddEntry(Convert.FromHexString(entry.Serial), entry.RevokedAt, entry.Reason);
        var ca = Certificate;
        return builder.Build(ca, new BigInteger(number), nextUpdate, HashAlgorithm(ca), Padding(ca), thisUpdate);
    }

    private X509Certificate2 LoadOrCreate()
    {
        var certificatePath = Path.Combine(Folder, CaFiles.CertificateFile);
        var keyPath = Path.Combine(Folder, CaFiles.KeyFile);
        try
        {
            // The key is written last, so once it is there the CA is complete: no lock needed to read it (read-only mounts work).
            if (File.Exists(keyPath)) return Load(certificatePath, keyPath);

            CaFiles.CreateFolder(Folder);
            using var exclusive = CaFiles.Lock(Folder, LockTimeout);
            return File.Exists(keyPath) ? Load(certificatePath, keyPath) : Create(certificatePath, keyPath);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw CaFiles.Failure($"the Director cannot use the CA folder {Folder}: {ex.Message}");
        }
    }

    private X509Certificate2 Load(string certificatePath, string keyPath)
    {
        if (CaFiles.KeyProblem(keyPath) is { } problem) throw CaFiles.Failure(problem);
        if (!File.Exists(certificatePath))
            throw CaFiles.Failure($"{keyPath} is there but {certificatePath} is missing: restore it, or remove both to create a new CA (which invalidates every certificate issued so far)");

        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath));
        }
        catch (CryptographicException ex)
        {
            throw CaFiles.Failure($"{certificatePath} and {keyPath} are not a PEM certificate and its private key: {ex.Message}");
        }

        if (CaProblem(ca) is { } unfit)
        {
            ca.Dispose();
            throw CaFiles.Failure($"{certificatePath} cannot be the Director's CA: {unfit}");
        }

        _log.LogInformation("Certificate authority {Subject} loaded from {Folder}, valid until {NotAfter:u}", ca.Subject, Folder, ca.NotAfter.ToUniversalTime());
        if (new DateTimeOffset(ca.NotAfter) - _clock.GetUtcNow() < _options.Validity)
            _log.LogWarning("The certificate authority expires on {NotAfter:u}, within Certificates:Validity: certificates issued from now on end then; plan a new CA",
                ca.NotAfter.ToUniversalTime());
        return ca;
    }

    private X509Certificate2 Create(string certificatePath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        // A fresh name per CA, so that certificates of a replaced CA are never mistaken for the new one's.
        name.AddCommonName($"ConPaaS Director CA {Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}");
        name.AddOrganizationName(CertificateProfiles.Organization);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = _clock.GetUtcNow();
        using var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key),
            now - ClockSkew, now + _options.CaValidity, Serials.New());

        CaFiles.WriteAtomically(certificatePath, certificate.ExportCertificatePem(), secret: false, overwrite: true);
        CaFiles.WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true, overwrite: false);
        _log.LogInformation("Certificate authority {Subject} created in {Folder}", certificate.Subject, Folder);
        // Read back what was written: the files are the CA from now on, for this node and every other.
        return Load(certificatePath, keyPath);
    }

    private string? CaProblem(X509Certificate2 ca)
    {
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            return "it is not a CA certificate (basicConstraints cA is not set)";
        if (ca.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign))
            return "its key usage does not allow signing certificates and CRLs (keyCertSign, cRLSign)";
        if (_clock.GetUtcNow() >= new DateTimeOffset(ca.NotAfter)) return $"it expired on {ca.NotAfter.ToUniversalTime():u}";
        using var ec = ca.GetECDsaPublicKey();
        using var rsa = ca.GetRSAPublicKey();
        if (ec is null && rsa is null) return "its key is neither ECDSA nor RSA";
        if (rsa is { KeySize: < 2048 }) return $"its RSA key has {rsa.KeySize} bits, fewer than 2048";
        return null;
    }

    private static HashAlgorithmName HashAlgorithm(X509Certificate2 ca)
    {
        using var ec = ca.GetECDsaPublicKey();
        return ec?.KeySize switch
        {
            > 384 => HashAlgorithmName.SHA512,
            > 256 => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA256,
        };
    }

    private static RSASignaturePadding? Padding(X509Certificate2 ca)
    {
        using var rsa = ca.GetRSAPublicKey();
        return rsa is null ? null : RSASignaturePadding.Pkcs1;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
