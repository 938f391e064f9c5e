#!/usr/bin/env bash
# Builds cps as self-contained single-file binaries (no .NET needed to run them) into the folder the Director serves
# them from: GET /download/cps-linux-x64 and /download/cps-linux-arm64 (README, "Installing cps").
#   scripts/cps-publish.sh [FOLDER]   default: src/Api/bin/Release/net10.0/cps (next to the Director run.sh starts)
#   CPS_PLATFORMS="linux-x64 linux-arm64" (the default) chooses the runtimes.
# The Director reads the folder from Director:CpsDownloadDirectory (default: cps/ next to Conpaas.Api.dll).
# Called by run.sh and the Dockerfile; does nothing when cps's sources are unchanged since the last publish there
# (a hash of them is kept in the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-src/Api/bin/Release/net10.0/cps}" && cd "${1:-src/Api/bin/Release/net10.0/cps}" && pwd)
platforms=${CPS_PLATFORMS:-linux-x64 linux-arm64}
hash=$( (echo "$platforms"; cat Directory.Build.props Directory.Packages.props $(find src/Cli -name '*.cs' -o -name '*.csproj' | grep -v '/obj/' | sort)) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.source-hash" ] && [ "$(cat "$out/.source-hash")" = "$hash" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for rid in $platforms; do
  echo "Publishing cps for $rid…" >&2
  dotnet publish src/Cli/Conpaas.Cli.csproj -c Release -r "$rid" --self-contained -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true \
    -o "$work/$rid" -nologo -v quiet -clp:ErrorsOnly >&2
  install -m 0755 "$work/$rid/cps" "$out/cps-$rid.tmp"
  mv -f "$out/cps-$rid.tmp" "$out/cps-$rid"
done
echo "$hash" > "$out/.source-hash"
echo "cps binaries in $out" >&2
