#!/usr/bin/env bash
# Builds the web dashboard (web/) into src/Api/wwwroot, which the Director serves. Called by run.sh and test.sh;
# does nothing when web/'s sources are unchanged since the last build (a hash of them is kept in the output). The manifest
# schema is one of them: the dashboard's manifest page validates with a validator compiled from it (build.mjs).
set -euo pipefail
cd "$(dirname "$0")/../web"
out=../src/Api/wwwroot
hash=$(cat package.json package-lock.json build.mjs ../docs/contract/manifest.schema.json $(find src -type f | sort) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.source-hash" ] && [ "$(cat "$out/.source-hash")" = "$hash" ] && [ -f "$out/index.html" ]; then
  exit 0
fi
echo "Building the web dashboard…" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
node build.mjs >&2
echo "$hash" > "$out/.source-hash"
