#!/usr/bin/env bash
# Regenerates the Wolverine handler code in src/Api/Internal/Generated (the Director loads it statically and ships no
# Roslyn). Run it after adding a message handler or changing a handler's parameters; the Director refuses to start
# when a handler's generated type is missing. The old files are removed first: a stale one may not compile.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf src/Api/Internal/Generated
dotnet build src/Api/Conpaas.Api.csproj -nologo -v quiet -clp:ErrorsOnly >&2
# Writing the code reads the configuration only; the database is never contacted.
(cd src/Api && ConnectionStrings__Director="${ConnectionStrings__Director:-Host=127.0.0.1;Database=codegen}" \
    dotnet bin/Debug/net10.0/Conpaas.Api.dll codegen write)
dotnet build src/Api/Conpaas.Api.csproj -nologo -v quiet -clp:ErrorsOnly >&2
