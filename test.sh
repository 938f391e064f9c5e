#!/usr/bin/env bash
# Runs every test against a real PostgreSQL: the one in CONPAAS_TEST_DATABASE (a connection string to a
# server where databases may be created), else the project's own (scripts/postgres.sh).
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"

if [ -z "${CONPAAS_TEST_DATABASE:-}" ]; then
  scripts/postgres.sh start || exit 1
  CONPAAS_TEST_DATABASE="$(CONPAAS_PG_DATABASE=postgres scripts/postgres.sh url)" || exit 1
  export CONPAAS_TEST_DATABASE
fi

echo "Installing the Node test tools (graphql-http audits)…" >&2
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error >&2) || { echo "npm ci failed" >&2; exit 1; }

# The dashboard's bundle (rebuilt only when web/ changed): its browser tests need it, and Chromium (.ci/run).
scripts/web.sh || { echo "0 passed, 1 failed (web dashboard build failed)"; exit 1; }

echo "Building…" >&2
dotnet build Conpaas.Director.sln -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || { echo "0 passed, 1 failed (build failed)"; exit 1; }

log=$(mktemp)
dotnet test --solution Conpaas.Director.sln -c Release --no-build --no-progress 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Microsoft.Testing.Platform prints a summary per run; the last one covers every test assembly.
total=$(grep -E '^\s*total:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
failed=$(grep -E '^\s*failed:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
passed=$(grep -E '^\s*succeeded:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -E '^\s*skipped:' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
# The failures again, at the end where a truncated log still shows them (each with its first lines of detail).
if grep -qE '^failed ' "$log"; then
  echo
  echo "Failed tests:"
  awk '/^failed / { n = 30; print; next } n > 0 && /^  / { print; n--; next } { n = 0 }' "$log"
  echo
fi
rm -f "$log"
if [ "${total:-0}" = 0 ]; then
  echo "0 passed, 1 failed (no test ran)"
  exit 1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" = 0 ] && [ "$failed" = 0 ]
