# syntax=docker/dockerfile:1
# Edify: one image for the web server, the job worker and the operator CLI (docs/deployment.md).
#   docker build -t edify .
#   docker run --env-file .env edify db:migrate     # then: serve --no-worker / worker / any CLI command
# Node 24 runs the TypeScript sources directly (type stripping): there is no build step.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile is the only source of versions (npm ci refuses a lockfile that disagrees with
# package.json). No install scripts: none of the runtime dependencies needs one, and the embedded
# PostgreSQL (development only) is never started in production (DATABASE_URL is required there).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    EDIFY_DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY api ./api
COPY cli ./cli
COPY tenants ./tenants
COPY migrations ./migrations
COPY templates ./templates
# Local file storage, backups and mail files when those are not S3/SMTP: mount a volume here.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# /healthz: the process answers; /readyz (database, migrations, worker) is for the load balancer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Heap limits as `npm start` sets them (docs/performance.md, P9); override NODE_OPTIONS to change.
ENV NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=16"
ENTRYPOINT ["node", "bin/edify.js"]
CMD ["serve", "--no-worker"]
