using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;

namespace Conpaas.Api.Certificates;

/// <summary>Everything the CA writes into a certificate besides the key, the validity and the serial.</summary>
public sealed record CertificateProfile(
    X500DistinguishedName Subject,
    string SubjectText,
    string Role,
    Guid OwnerId,
    Guid? ApplicationId,
    Guid? VmId,
    IReadOnlyList<X509Extension> Extensions)
{
    /// <summary>The fact to record for a certificate the CA signed with this profile.</summary>
    public CertificateIssued Issued(X509Certificate2 certificate) => new(
        certificate.SerialNumber,
        SubjectText,
        Role,
        new DateTimeOffset(certificate.NotBefore).ToUniversalTime(),
        new DateTimeOffset(certificate.NotAfter).ToUniversalTime(),
        certificate.GetCertHashString(HashAlgorithmName.SHA256),
        ApplicationId,
        VmId,
        VmId is null ? null : OwnerId);
}

/// <summary>
/// What the CA decides, whatever the CSR asked for (ConPaaS /ca/get_cert.php copied the CSR's subject; that gap is
/// closed here: only the public key is taken from a CSR). The subject, most specific first (RFC 4514):
/// <c>UID=&lt;owner's user id&gt;,CN=&lt;username or VM name&gt;,OU=&lt;role&gt;,O=ConPaaS</c>, with role <c>user</c>
/// for people (administrators too: what they may do is decided by their account, not their certificate) and
/// <c>manager</c> or <c>agent</c> for VMs. The subjectAltName carries the same facts as URIs, plus the application
/// (ConPaaS "serviceLocator") and the VM: <c>urn:conpaas:user:&lt;id&gt;</c>, <c>urn:conpaas:application:&lt;id&gt;</c>,
/// <c>urn:conpaas:vm:&lt;id&gt;</c>. Key usage: digitalSignature; extended key usage: clientAuth (VMs also serverAuth,
/// as they answer other nodes); the CRL distribution point is the Director's /ca/crl.
/// </summary>
public static class CertificateProfiles
{
    public const string Organization = "ConPaaS";
    public const string UserRole = "user";
    public const string ServerRole = "frontend";
    /// <summary>The LDAP "UID" attribute ConPaaS put its user id in.</summary>
    public const string UidOid = "0.9.2342.19200300.100.1.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Where issued certificates say their CRL is (their CRL distribution point).</summary>
    public static string CrlUrl(Hosting.DirectorOptions director) => director.Url.TrimEnd('/') + CertificateHosting.CrlPath;

    public static CertificateProfile ForUser(User user, string crlUrl) =>
        Build(user.Id, user.Username, UserRole, null, null, crlUrl, serverAuth: false);

    public static CertificateProfile ForVm(Vm vm, string crlUrl) =>
        Build(vm.OwnerId, vm.Name, vm.Role.ToString().ToLowerInvariant(), vm.ApplicationId, vm.Id, crlUrl, serverAuth: true);

    /// <summary>The Director's own TLS certificate (ConPaaS cpsconf.py: CN = the Director's host, role <c>frontend</c>):
    /// the host also in the subjectAltName, as a DNS name or an IP address, which is what TLS clients check.</summary>
    public static CertificateProfile ForServer(string host, string crlUrl)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(host);
        name.AddOrganizationalUnitName(ServerRole);
        name.AddOrganizationName(Organization);
        var altNames = new SubjectAlternativeNameBuilder();
        if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip)) altNames.AddIpAddress(ip);
        else altNames.AddDnsName(host);
        X509Extension[] extensions =
        [
            new X509BasicConstraintsExtension(false, false, 0, true),
            new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true),
            new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false),
            altNames.Build(),
            CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]),
        ];
        return new CertificateProfile(name.Build(), $"CN={Escape(host)},OU={ServerRole},O={Organization}", ServerRole, Guid.Empty, null, null, extensions);
    }

    private static CertificateProfile Build(Guid ownerId, string commonName, string role, Guid? applicationId, Guid? vmId, string crlUrl, bool serverAuth)
    {
        // The builder encodes the last one added first: this gives O, OU, CN, UID in the certificate, the usual order.
        var name = new X500DistinguishedNameBuilder();
        name.Add(UidOid, ownerId.ToString(), System.Formats.Asn1.UniversalTagNumber.UTF8String);
        name.AddCommonName(commonName);
        name.AddOrganizationalUnitName(role);
        name.AddOrganizationName(Organization);
        var text = $"UID={ownerId},CN={Escape(commonName)},OU={Escape(role)},O={Organization}";

        var altNames = new SubjectAlternativeNameBuilder();
        altNames.AddUri(new Uri($"urn:conpaas:user:{ownerId}"));
        if (applicationId is { } app) altNames.AddUri(new Uri($"urn:conpaas:application:{app}"));
        if (vmId is { } vm) altNames.AddUri(new Uri($"urn:conpaas:vm:{vm}"));

        var usages = new OidCollection { new Oid(ClientAuthOid) };
        if (serverAuth) usages.Add(new Oid(ServerAuthOid));

        X509Extension[] extensions =
        [
            new X509BasicConstraintsExtension(false, false, 0, true),
            new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true),
            new X509EnhancedKeyUsageExtension(usages, false),
            altNames.Build(),
            CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]),
        ];
        return new CertificateProfile(name.Build(), text, role, ownerId, applicationId, vmId, extensions);
    }

    /// <summary>An attribute value as RFC 4514 writes it (what openssl x509 -nameopt RFC2253 prints).</summary>
    public static string Escape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' || (i == 0 && c is '#' or ' ') || (i == value.Length - 1 && c == ' '))
                text.Append('\\');
            text.Append(c);
        }

        return text.ToString();
    }
}
