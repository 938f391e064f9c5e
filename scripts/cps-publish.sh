#!/usr/bin/env bash
# Builds cps as self-contained single-file binaries (no .NET needed to run them) into the folder the Director serves
# them from: GET /download/cps-linux-x64 and /download/cps-linux-arm64 (README, "Installing cps").
#   scripts/cps-publish.sh [FOLDER]   default: src/Api/bin/Release/net10.0/cps (next to the Director run.sh starts)
#   CPS_PLATFORMS="linux-x64 linux-arm64" (the default) chooses the runtimes.
# The Director reads the folder from Director:CpsDownloadDirectory (default: cps/ next to Conpaas.Api.dll).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-src/Api/bin/Release/net10.0/cps}" && cd "${1:-src/Api/bin/Release/net10.0/cps}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for rid in ${CPS_PLATFORMS:-linux-x64 linux-arm64}; do
  echo "Publishing cps for $rid…" >&2
  dotnet publish src/Cli/Conpaas.Cli.csproj -c Release -r "$rid" --self-contained -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true \
    -o "$work/$rid" -nologo -v quiet -clp:ErrorsOnly >&2
  install -m 0755 "$work/$rid/cps" "$out/cps-$rid.tmp"
  mv -f "$out/cps-$rid.tmp" "$out/cps-$rid"
done
echo "$out" >&2
