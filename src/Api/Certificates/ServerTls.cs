using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Conpaas.Api.Hosting;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Certificates;

/// <summary>
/// Settings under "Tls": HTTPS is on when Director:Url is https. The Director then serves the certificate its own CA
/// issued for the URL's host (kept in the CA folder as server.crt / server.key, renewed before it expires), or the
/// certificate and key the operator names here, which it serves as they are.
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>A PEM certificate (chain) to serve instead of one issued by the Director's CA.</summary>
    public string? CertificateFile { get; set; }
    /// <summary>Its PEM private key (mode 0600).</summary>
    public string? KeyFile { get; set; }
    /// <summary>An issued certificate is renewed when less than this is left of it.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(30);
    /// <summary>How often the certificate is checked for renewal.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    public bool OperatorCertificate => !string.IsNullOrWhiteSpace(CertificateFile);
}

public sealed class TlsOptionsValidator : IValidateOptions<TlsOptions>
{
    public ValidateOptionsResult Validate(string? name, TlsOptions o)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(o.CertificateFile) != string.IsNullOrWhiteSpace(o.KeyFile))
            problems.Add($"{TlsOptions.Section}:CertificateFile and {TlsOptions.Section}:KeyFile go together: set both or neither");
        else if (o.OperatorCertificate)
        {
            if (!System.IO.File.Exists(o.CertificateFile)) problems.Add($"{TlsOptions.Section}:CertificateFile '{o.CertificateFile}' does not exist");
            if (!System.IO.File.Exists(o.KeyFile)) problems.Add($"{TlsOptions.Section}:KeyFile '{o.KeyFile}' does not exist");
            else if (CaFiles.KeyProblem(o.KeyFile!) is not null)
                problems.Add($"{TlsOptions.Section}:KeyFile '{o.KeyFile}' may be read by others: run 'chmod 600 {o.KeyFile}'");
        }

        if (o.RenewBefore <= TimeSpan.Zero) problems.Add($"{TlsOptions.Section}:RenewBefore {o.RenewBefore} must be positive");
        if (o.CheckInterval < TimeSpan.FromSeconds(1))
            problems.Add($"{TlsOptions.Section}:CheckInterval {o.CheckInterval} must be at least 1 second");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>
/// The certificate Kestrel serves for HTTPS. Issued by the Director's CA for the host of Director:Url (what the
/// installation guide's cpsconf.py did, and what its cpscheck.py checked: the CN must match DIRECTOR_URL), shared by
/// every node through the CA folder, and swapped in place when renewed: no restart, no dropped connection.
/// </summary>
public sealed class ServerCertificates(
    CertificateAuthority ca,
    IOptions<TlsOptions> tls,
    IOptions<CertificateOptions> certificates,
    IOptions<DirectorOptions> director,
    TimeProvider clock,
    ILogger<ServerCertificates> log)
{
    /// <summary>The certificate and its key in one file (mode 0600), written atomically: no node ever reads a key with another's certificate.</summary>
    public const string File = "server.pem";

    private readonly Lock _gate = new();
    private X509Certificate2? _current;

    /// <summary>The host clients reach the Director by: the certificate's CN and subjectAltName.</summary>
    public string Host => new Uri(director.Value.Url).IdnHost;

    public X509Certificate2 Current => Volatile.Read(ref _current) ?? Refresh();

    /// <summary>Loads the certificate to serve, issuing a new one when there is none, it is for another host or CA, or it is due.</summary>
    public X509Certificate2 Refresh()
    {
        lock (_gate)
        {
            var current = _current;
            if (current is not null && !Due(current)) return current;
            var next = tls.Value.OperatorCertificate ? LoadOperators() : LoadOrIssue();
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    /// <summary>Why this certificate should not be served for <see cref="Host"/> (null when it is fine): what `check` reports too.</summary>
    public string? Problem(X509Certificate2 certificate)
    {
        if (!certificate.MatchesHostname(Host))
            return $"the certificate is for '{certificate.GetNameInfo(X509NameType.SimpleName, false)}', not for '{Host}', the host of Director:Url";
        var now = clock.GetUtcNow();
        if (now >= new DateTimeOffset(certificate.NotAfter)) return $"the certificate expired on {certificate.NotAfter.ToUniversalTime():u}";
        return null;
    }

    /// <summary>Renewed when less than Tls:RenewBefore is left, or a third of its life when certificates live shorter.</summary>
    private bool Due(X509Certificate2 certificate) =>
        !tls.Value.OperatorCertificate
        && (Problem(certificate) is not null
            || new DateTimeOffset(certificate.NotAfter) - clock.GetUtcNow() < Min(tls.Value.RenewBefore, certificates.Value.Validity / 3));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private X509Certificate2 LoadOperators()
    {
        var certificate = X509Certificate2.CreateFromPemFile(tls.Value.CertificateFile!, tls.Value.KeyFile);
        if (Problem(certificate) is { } problem)
            log.LogWarning("{File}: {Problem}; clients will refuse it", tls.Value.CertificateFile, problem);
        log.LogInformation("HTTPS with the operator's certificate {Subject} from {File}, valid until {NotAfter:u}",
            certificate.Subject, tls.Value.CertificateFile, certificate.NotAfter.ToUniversalTime());
        return certificate;
    }

    private X509Certificate2 LoadOrIssue()
    {
        var path = Path.Combine(ca.Folder, File);
        // One node issues; the others (and this one's next start) serve what it wrote.
        using (CaFiles.Lock(ca.Folder, TimeSpan.FromSeconds(30)))
        {
            if (System.IO.File.Exists(path))
            {
                var stored = X509Certificate2.CreateFromPemFile(path);
                if (IssuedByThisCa(stored) && !Due(stored)) return Announce(stored, "loaded");
                stored.Dispose();
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var profile = CertificateProfiles.ForServer(Host, CertificateProfiles.CrlUrl(director.Value));
            using var issued = ca.Issue(profile, new PublicKey(key), clock.GetUtcNow(), certificates.Value.Validity);
            CaFiles.WriteAtomically(path, issued.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n", secret: true, overwrite: true);
            return Announce(X509Certificate2.CreateFromPemFile(path), "issued");
        }
    }

    private bool IssuedByThisCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = clock.GetUtcNow().UtcDateTime;
        return chain.Build(certificate);
    }

    private X509Certificate2 Announce(X509Certificate2 certificate, string how)
    {
        // Clients pin the CA (cps trust, curl --cacert): the fingerprint lets them check they got the right one.
        log.LogInformation(
            "HTTPS for {Host}: certificate {How} (valid until {NotAfter:u}), issued by the Director's CA {CaFile}, SHA-256 fingerprint {Fingerprint}",
            Host, how, certificate.NotAfter.ToUniversalTime(), Path.Combine(ca.Folder, CaFiles.CertificateFile), Fingerprint(ca.Certificate));
        return certificate;
    }

    /// <summary>The SHA-256 fingerprint as openssl prints it (AA:BB:…).</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));
}

/// <summary>Renews the served certificate before it expires (checked every Tls:CheckInterval).</summary>
public sealed class ServerCertificateRenewal(ServerCertificates certificates, IOptions<TlsOptions> tls, TimeProvider clock, ILogger<ServerCertificateRenewal> log)
    : BackgroundService
{
    /// <summary>The certificate is ready (and its CA's fingerprint logged) before the first connection.</summary>
    public override Task StartAsync(CancellationToken ct)
    {
        _ = certificates.Current;
        return base.StartAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(tls.Value.CheckInterval, clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                certificates.Refresh();
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or OptionsValidationException)
            {
                log.LogWarning("The HTTPS certificate could not be renewed: {Reason}; trying again in {Period}", ex.Message, tls.Value.CheckInterval);
            }
        }
    }
}

public static class ServerTls
{
    /// <summary>Is HTTPS on? It is when the Director's public URL is https.</summary>
    public static bool Enabled(IConfiguration configuration) =>
        Uri.TryCreate(configuration["Director:Url"], UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps;

    /// <summary>
    /// Where to listen when no URL is configured (ASPNETCORE_URLS, --urls): plain HTTP on loopback by default; with an
    /// https Director:Url, HTTPS on that URL's port, on loopback when the URL's host is, else on every interface.
    /// </summary>
    public static string DefaultUrl(IConfiguration configuration)
    {
        var port = Environment.GetEnvironmentVariable("DIRECTOR_PORT");
        if (!Enabled(configuration)) return $"http://127.0.0.1:{port ?? "5555"}";
        var url = new Uri(configuration["Director:Url"]!);
        return $"https://{(url.IsLoopback ? "127.0.0.1" : "0.0.0.0")}:{port ?? url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    public static WebApplicationBuilder AddDirectorTls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<TlsOptions>, TlsOptionsValidator>();
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<ServerCertificates>();
        if (!Enabled(builder.Configuration)) return builder;

        builder.Services.AddHostedService<ServerCertificateRenewal>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            https.ServerCertificateSelector = (_, _) => kestrel.ApplicationServices.GetRequiredService<ServerCertificates>().Current));
        return builder;
    }
}
