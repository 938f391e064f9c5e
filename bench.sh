#!/usr/bin/env bash
# Runs the benchmark harness (bench/README.md): builds it in Release, starts the project's own PostgreSQL (or uses the
# server in CONPAAS_BENCH_DATABASE, a connection string whose user may create databases), runs P1–P10 against the real
# Director, prints the Markdown table and writes it to bench/results.md. Arguments go to the harness (--help lists them):
#   ./bench.sh                    the full run (about 10 minutes on 2 cores)
#   ./bench.sh --scale smoke      tiny sizes, under a minute (the test suite runs this)
#   ./bench.sh --only P1,P2 --out -
set -euo pipefail
cd "$(dirname "$0")"

if [ -z "${CONPAAS_BENCH_DATABASE:-}" ]; then
  scripts/postgres.sh start
  CONPAAS_BENCH_DATABASE="$(CONPAAS_PG_DATABASE=postgres scripts/postgres.sh url)"
  export CONPAAS_BENCH_DATABASE
fi

scripts/web.sh   # P9 and P10 measure the dashboard the Director serves
echo "Building the harness and the Director (Release)…" >&2
dotnet build bench/Bench/Conpaas.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >&2

exec dotnet bench/Bench/bin/Release/net10.0/Conpaas.Bench.dll "$@"
