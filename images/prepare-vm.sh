#!/usr/bin/env bash
# Prepares a Debian 12 (bookworm) system to be a ConPaaS services VM (the guide's "Creating a ConPaaS Services VM
# Image"): the agent's prerequisites and the agent itself, so that a VM booted from the image skips the download.
# Run as root inside the VM to be imaged (EC2: a running Debian instance) or inside the image (build-image.sh runs
# it with virt-customize). Usage: prepare-vm.sh <Director URL>    e.g. prepare-vm.sh https://director.example.org
set -euo pipefail

DIRECTOR="${1:?usage: prepare-vm.sh <Director URL>}"
DIRECTOR="${DIRECTOR%/}"
# The folder the user data installs into (src/CloudAgents/Boot/UserData.cs, ROOT): an identical ConPaaS.tar.gz
# found there (same SHA-256 as the user data names) is not downloaded again.
ROOT=/opt/conpaas
CA="${CONPAAS_DIRECTOR_CA:-}" # the Director's CA certificate (PEM file) when its URL is https with a private CA

export DEBIAN_FRONTEND=noninteractive
apt-get update
# curl, tar, sha256sum: the user data's tools; the .NET runtime runs the (framework-dependent) agent.
apt-get install -y --no-install-recommends ca-certificates curl tar coreutils gnupg cloud-init

# The .NET 10 runtime from Microsoft's Debian repository (https://learn.microsoft.com/dotnet/core/install/linux-debian).
curl -fsSL -o /tmp/packages-microsoft-prod.deb https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb
dpkg -i /tmp/packages-microsoft-prod.deb
rm -f /tmp/packages-microsoft-prod.deb
apt-get update
apt-get install -y --no-install-recommends dotnet-runtime-10.0

# The agent, pre-installed: the tarball the Director serves, checked against the checksum it publishes.
install -d -m 0700 "$ROOT"
curl -fsS ${CA:+--cacert "$CA"} -o "$ROOT/ConPaaS.tar.gz" "$DIRECTOR/download/ConPaaS.tar.gz"
EXPECTED="$(curl -fsS ${CA:+--cacert "$CA"} "$DIRECTOR/download/ConPaaS.tar.gz.sha256" | cut -d' ' -f1)"
(cd "$ROOT" && echo "$EXPECTED  ConPaaS.tar.gz" | sha256sum -c -)
tar -xzf "$ROOT/ConPaaS.tar.gz" -C "$ROOT"

# A new VM must not inherit this machine's identity: cloud-init runs again (and with it the user data) on first boot.
cloud-init clean --logs || true
rm -f /etc/ssh/ssh_host_* /var/lib/dbus/machine-id
truncate -s 0 /etc/machine-id
apt-get clean
echo "ConPaaS services image prepared (agent $(cat "$ROOT/ConPaaS/VERSION"))"
