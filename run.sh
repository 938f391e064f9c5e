#!/usr/bin/env bash
# Runs the ConPaaS Director on this machine: a private PostgreSQL, the local cloud, the admin account.
#   Serves the web dashboard at http://127.0.0.1:$DIRECTOR_PORT/.
#   DIRECTOR_PORT (default 5555), DIRECTOR_ADMIN_PASSWORD (first start only; else one is generated and printed),
#   CONPAAS_PG_PORT (default 55432). Ctrl-C stops the Director; the data stays for the next run.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)
port=${DIRECTOR_PORT:-5555}

scripts/postgres.sh start
scripts/postgres.sh createdb conpaas >/dev/null
export ConnectionStrings__Director="${ConnectionStrings__Director:-$(CONPAAS_PG_DATABASE=conpaas scripts/postgres.sh url)}"

scripts/web.sh   # the dashboard's bundle, rebuilt only when web/ changed
echo "Building the Director…" >&2
dotnet build src/Api/Conpaas.Api.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2
scripts/cps-publish.sh   # cps for /download/cps-linux-*: a few minutes the first time, then only when src/Cli changed

out="$repo/src/Api/bin/Release/net10.0"
export ASPNETCORE_CONTENTROOT="$out"
export Director__Url="${Director__Url:-http://127.0.0.1:$port}"
case "$Director__Url" in
  # HTTPS: the Director serves TLS itself, on the URL's port (DIRECTOR_PORT overrides), with a certificate its CA issues.
  https://*) scheme=https ;;
  *) scheme=http; export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:$port}" DIRECTOR_PORT="$port" ;;
esac
base="${Director__Url%/}"
# The local cloud: each VM is an agent process; its folder (boot context, pid, log) lives here.
export Clouds__default__Keys__DATA_DIR="${Clouds__default__Keys__DATA_DIR:-$repo/.data/local-cloud}"
cat >&2 <<MSG

  ConPaaS Director starting on $base
    Dashboard:         $base/   (open it in a browser)
    GraphQL endpoint:  $base/graphql   (POST JSON, or GET ?query=…)
    Schema (SDL):      $base/graphql/schema.graphql
    Health:            $base/health
  Next: the README's tour (register, login, me). Ctrl-C stops the Director.

MSG
if [ "$scheme" = https ]; then
  cat >&2 <<MSG
  HTTPS: the certificate comes from the Director's CA (${Certificates__CaDirectory:-~/.conpaas/ca}/ca.crt; its SHA-256
  fingerprint is in the log below). Clients trust it: curl --cacert <that file>, cps trust --director $base.

MSG
fi
# Outside development the Director changes its schema only when told to (Director:AutoMigrate): this is that moment.
dotnet "$out/Conpaas.Api.dll" migrate >&2
exec dotnet "$out/Conpaas.Api.dll"
