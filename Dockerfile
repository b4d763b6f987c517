# syntax=docker/dockerfile:1
# Multi-stage: install production dependencies with Bun, run as a non-root user.
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies from the lockfile. Omitted: dev tools (including the `bun` npm package: the
# runtime image has Bun) and optional platform binaries (embedded PostgreSQL: compose sets DATABASE_URL).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4.5-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=bun:bun /app/node_modules ./node_modules
COPY --chown=bun:bun package.json tsconfig.json openapi.json ./
COPY --chown=bun:bun src ./src
COPY --chown=bun:bun migrations ./migrations
USER bun
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:3000/readyz'); process.exit(r.ok ? 0 : 1)"]
# Migrations are applied at start (idempotent), then the server listens.
CMD ["bun", "src/server.ts"]
