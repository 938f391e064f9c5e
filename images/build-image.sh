#!/usr/bin/env bash
# Builds a ConPaaS services image file from a Debian 12 cloud image with libguestfs (no root, no running VM needed):
#   build-image.sh <Director URL> [output.qcow2]
# It downloads debian-12-genericcloud-amd64.qcow2 (or debian-12-genericcloud-arm64.qcow2 with ARCH=arm64) and runs
# prepare-vm.sh inside it. The result is what OpenNebula registers (images/README.md); EC2 takes an AMI made from a
# prepared instance instead (same script, see images/README.md).
set -euo pipefail

DIRECTOR="${1:?usage: build-image.sh <Director URL> [output.qcow2]}"
OUTPUT="${2:-conpaas.qcow2}"
ARCH="${ARCH:-amd64}"
BASE="https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-${ARCH}.qcow2"
HERE="$(cd "$(dirname "$0")" && pwd)"

command -v virt-customize >/dev/null || { echo "virt-customize is missing: apt-get install libguestfs-tools" >&2; exit 1; }
curl -fL -o "$OUTPUT" "$BASE"
qemu-img resize "$OUTPUT" 4G
virt-customize -a "$OUTPUT" --network \
    ${CONPAAS_DIRECTOR_CA:+--copy-in "$CONPAAS_DIRECTOR_CA:/root"} \
    --copy-in "$HERE/prepare-vm.sh:/root" \
    --run-command "CONPAAS_DIRECTOR_CA=${CONPAAS_DIRECTOR_CA:+/root/$(basename "$CONPAAS_DIRECTOR_CA")} bash /root/prepare-vm.sh '$DIRECTOR'" \
    --delete /root/prepare-vm.sh
echo "$OUTPUT is ready"
