# syntax=docker/dockerfile:1

# Longshore: one image for both roles.
#   API (default):  node apps/api/dist/main.js      -> :5000  (/healthz, /readyz, /metrics)
#   worker:         node apps/worker/dist/main.js   -> :9101  (/healthz, /metrics)
# Both need REDIS_URL and the same DATA_DIR (a shared volume). See docs/operations.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# manifests: the root manifest, the lockfile and every workspace's package.json, nothing else.
# `npm ci` needs the manifest of each workspace the root `workspaces` lists (packages/*, apps/*,
# test, bench); collecting them here, rather than naming each one in a COPY, keeps up with new
# workspaces, and the install below stays cached until one of these files changes.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -type d -empty -delete

# ---------------------------------------------------------------------------------------------
# build: install everything, compile every workspace in dependency order, drop devDependencies,
# and assemble the runtime tree in /out.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1
WORKDIR /app

# A C++ compiler, make and python3 let node-gyp build the native addons of packages/digest (the
# resumable SHA-256, the ECR door's base64 decoder) against this Node's own headers (no download).
# Without them the build warns and Longshore uses hash-wasm and Node's own base64 decoder, which are
# correct but slower. The runtime stage needs none of them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*

COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm npm ci

COPY . .
RUN npx turbo run build --output-logs=errors-only

# Removes devDependencies (TypeScript, turbo, vitest, the AWS SDK of the tests) from the one
# hoisted node_modules; the workspace links in node_modules/@longshore/* stay.
RUN npm prune --omit=dev

# Only what node needs at run time: node_modules, every workspace's package.json (for `exports`
# and `"type": "module"`; test/ and bench/ keep just that, so their links do not dangle) and the
# dist/ of apps/* and packages/* (packages/domain/dist carries ecr-api-model.json). `cp -a` keeps
# the node_modules/@longshore/* symlinks to the workspaces as symlinks.
RUN mkdir -p /out \
 && cp -a package.json package-lock.json node_modules /out/ \
 && for ws in packages/* apps/* test bench; do \
      if [ -f "$ws/package.json" ]; then \
        mkdir -p "/out/$ws" && cp -a "$ws/package.json" "/out/$ws/"; \
        if [ -d "$ws/node_modules" ]; then cp -a "$ws/node_modules" "/out/$ws/"; fi; \
        case "$ws" in apps/*|packages/*) if [ -d "$ws/dist" ]; then cp -a "$ws/dist" "/out/$ws/"; fi ;; esac; \
      fi; \
    done \
 && test -f /out/apps/api/dist/main.js \
 && test -f /out/apps/worker/dist/main.js \
 && test -f /out/packages/domain/dist/ecr-api-model.json

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# The memory settings `npm start` gives its API and worker processes (childMemoryEnv in
# packages/config; docs/performance.md): here the containers run node directly, so they are set here.
# V8_HEAP_GROWING_PERCENT (default 100) and HASH_THREAD_IDLE_MS need nothing here: each process
# applies them itself at start.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=1048576 \
    NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app

# The code stays owned by root (read-only to the service); only /data is writable. A named volume
# mounted on /data for the first time takes this directory's owner (the image's `node` user).
RUN mkdir -p /data && chown node:node /data
COPY --from=build /out/ ./

USER node
VOLUME /data
EXPOSE 5000 9101

# The API's liveness. Slim images have no curl, so node's fetch does it. The worker listens on
# METRICS_PORT instead; docker-compose.yml overrides this check for it (or use --health-cmd).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Both processes handle SIGTERM: stop accepting work, let active requests/jobs finish for up to
# SHUTDOWN_TIMEOUT_MS (default 30 s). Give `docker stop` a longer grace period (-t / stop_grace_period).
CMD ["node", "apps/api/dist/main.js"]
