using System.Text;
using System.Text.Json;
using Conpaas.CloudAgents.Drivers;

namespace Conpaas.CloudAgents.Boot;

/// <summary>
/// The user data that boots a VM on a real cloud: a shell script (cloud-init runs a user data that starts with #!)
/// that fetches the agent from the Director, checks it against the SHA-256 written here, writes the boot context
/// readable by root only, and starts the agent as a systemd service listening on the VM's address.
/// The address comes from the instance metadata service (EC2, and OpenStack's EC2-compatible one), else from
/// `hostname -I`. For tests, CONPAAS_METADATA_URL replaces the metadata service and CONPAAS_ROOT the install
/// folder (/opt/conpaas); with CONPAAS_ROOT set, or without systemd, the agent is started in the background instead.
/// A VM whose image already holds the same tarball (images/) skips the download.
/// </summary>
public static class UserData
{
    /// <summary>EC2 takes at most 16 KB of user data before base64 (the smallest of the clouds' limits).</summary>
    public const int Ec2Limit = 16 * 1024;

    /// <summary>The agent's port on a VM (the catalogue opens it for every service type).</summary>
    public const int AgentPort = 5555;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The script for one VM; a <see cref="CloudDriverException"/> (permanent) when it exceeds the limit.</summary>
    public static string Build(BootContext boot, AgentPackage.Package package, int limitBytes = Ec2Limit)
    {
        var director = boot.DirectorUrl.TrimEnd('/');
        // Only the Director's CA when the agent talks https: an http Director has nothing to trust.
        var ca = director.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? boot.CaCertificatePem : null;
        var script = new StringBuilder()
            .Append("#!/bin/sh\n")
            .Append($"# ConPaaS agent boot for {Quote(boot.Name)} (made by the Director, agent {package.Version})\n")
            .Append("set -eu\n")
            .Append("umask 077\n")
            .Append($"DIRECTOR={Quote(director)}\n")
            .Append($"SHA256={package.Sha256}\n")
            .Append($"NAME={Quote(boot.Name)}\n")
            .Append("ROOT=\"${CONPAAS_ROOT:-/opt/conpaas}\"\n")
            .Append("METADATA=\"${CONPAAS_METADATA_URL:-http://169.254.169.254}\"\n")
            .Append("mkdir -p \"$ROOT\" && cd \"$ROOT\"\n")
            .Append("CA=\n");
        if (ca is not null)
            script.Append("CA=\"$ROOT/director-ca.pem\"\n")
                .Append("cat >\"$CA\" <<'CONPAAS_CA'\n").Append(ca.Trim()).Append("\nCONPAAS_CA\n");
        script
            .Append("fetch() { curl -fsS --retry 10 --retry-delay 3 --retry-connrefused ${CA:+--cacert \"$CA\"} -o \"$2\" \"$1\"; }\n")
            .Append("if ! echo \"$SHA256  ConPaaS.tar.gz\" | sha256sum -c --status 2>/dev/null; then\n")
            .Append("  fetch \"$DIRECTOR/download/ConPaaS.tar.gz\" ConPaaS.tar.gz\n")
            .Append("  echo \"$SHA256  ConPaaS.tar.gz\" | sha256sum -c --status || { echo 'ConPaaS.tar.gz: checksum mismatch' >&2; exit 1; }\n")
            .Append("fi\n")
            .Append("rm -rf ConPaaS && tar -xzf ConPaaS.tar.gz\n")
            // The boot context carries the VM's credential and key: written under umask 077, then pinned to 0600.
            .Append("cat >boot.json <<'CONPAAS_BOOT'\n").Append(JsonSerializer.Serialize(boot, Json)).Append("\nCONPAAS_BOOT\n")
            .Append("chmod 600 boot.json\n")
            .Append("TOKEN=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \"$METADATA/latest/api/token\" || true)\n")
            .Append("ADDRESS=$(curl -fsS -m 5 ${TOKEN:+-H \"X-aws-ec2-metadata-token: $TOKEN\"} \"$METADATA/latest/meta-data/local-ipv4\" || hostname -I | cut -d' ' -f1)\n")
            .Append($"set -- dotnet \"$ROOT/ConPaaS/Conpaas.Agent.dll\" --vm-name \"$NAME\" --listen \"$ADDRESS:{AgentPort}\" --boot \"$ROOT/boot.json\" --pid-file \"$ROOT/agent.pid\"\n")
            .Append("if [ -z \"${CONPAAS_ROOT:-}\" ] && [ -d /run/systemd/system ]; then\n")
            .Append("  cat >/etc/systemd/system/conpaas-agent.service <<CONPAAS_UNIT\n")
            .Append("[Unit]\nDescription=ConPaaS agent ($NAME)\nAfter=network-online.target\nWants=network-online.target\n")
            .Append("[Service]\nExecStart=/usr/bin/env $*\nRestart=on-failure\n[Install]\nWantedBy=multi-user.target\nCONPAAS_UNIT\n")
            .Append("  chmod 644 /etc/systemd/system/conpaas-agent.service\n")
            .Append("  systemctl daemon-reload && systemctl enable --now conpaas-agent.service\n")
            .Append("else\n")
            .Append("  nohup \"$@\" >>\"$ROOT/agent.log\" 2>&1 </dev/null &\n")
            .Append("fi\n");

        var text = script.ToString();
        var size = Encoding.UTF8.GetByteCount(text);
        if (size > limitBytes)
            throw new CloudDriverException($"The user data of {boot.Name} is {size} bytes, more than the cloud's {limitBytes}", transient: false);
        return text;
    }

    /// <summary>A single-quoted shell word.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
