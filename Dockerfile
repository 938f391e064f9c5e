# The Director's production image: docker build -t conpaas/director .
# Runs `dotnet Conpaas.Api.dll [verb]`: no argument starts the Director, `migrate` (or check, adduser, rebuild) runs a verb.

# The web dashboard (scripts/web.sh builds web/ into src/Api/wwwroot).
FROM node:22-bookworm-slim AS web
WORKDIR /src
COPY scripts/web.sh scripts/
COPY web/ web/
# The manifest page validates with a validator compiled from the schema the Director serves (web/build.mjs).
COPY docs/contract/manifest.schema.json docs/contract/
RUN mkdir -p src/Api/wwwroot && bash scripts/web.sh

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
COPY --from=web /src/src/Api/wwwroot/ src/Api/wwwroot/
# The agent is a project reference of the Director: its dll, runtimeconfig and deps land next to Conpaas.Api.dll,
# where AgentPackage packs them into the tarball the VMs download.
RUN dotnet publish src/Api -c Release -o /app -nologo \
 && test -f /app/Conpaas.Agent.dll && test -f /app/Conpaas.Agent.runtimeconfig.json && test -f /app/Conpaas.Agent.deps.json
# cps as self-contained binaries, served at /download/cps-linux-x64 and -arm64 (README, "Installing cps").
RUN scripts/cps-publish.sh /app/cps && test -x /app/cps/cps-linux-x64 && test -x /app/cps/cps-linux-arm64

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl for the HEALTHCHECK (the runtime image has none).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/conpaas/ca /var/lib/conpaas/local-cloud \
 && chown -R 1654:1654 /var/lib/conpaas && chmod -R 0700 /var/lib/conpaas
WORKDIR /app
COPY --from=build /app ./
# The local cloud's VMs listen on 127.100.x.y:PORT: not 5555, which the Director holds on every address.
ENV ASPNETCORE_URLS=http://+:5555 \
    Certificates__CaDirectory=/var/lib/conpaas/ca \
    Clouds__default__Keys__DATA_DIR=/var/lib/conpaas/local-cloud \
    Clouds__default__Keys__PORT=5600
# The CA (ca.crt, ca.key) must outlive the container and be shared by every Director node.
VOLUME ["/var/lib/conpaas/ca"]
EXPOSE 5555
# The image's non-root user `app` ($APP_UID).
USER 1654
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:5555/health/live || exit 1
ENTRYPOINT ["dotnet", "Conpaas.Api.dll"]
