// Prometheus metrics (prom-client), one registry per app. What is counted:
//  - requests by method, *declared* route (the router's path pattern, `(unmatched)` for anything
//    no route declares: an unknown address cannot add a label value) and status, with latency;
//  - the database pools (app, owner): connections in use and free, requests waiting, the time a
//    request waited for a connection, failed waits, whether the pool can reach its server;
//  - the job queue (pg-boss): jobs waiting, running and failed per queue, dead letters, and job
//    attempts that failed in this process;
//  - Stripe webhooks that failed, by problem code;
//  - rate-limit refusals per limit, and the limiter's Redis fallback (api/http/rate-limit.ts stats).
// Values that live elsewhere (pool sizes, queue depth, limiter stats) are read at scrape time.
// Served at /metrics on the main port behind METRICS_TOKEN, and/or on the internal METRICS_PORT
// (docs/operations.md, Metrics and logs). No label ever carries a school, a person or a raw URL.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.ts';
import { reachabilityOf } from '../db/connection.ts';
import { AppError } from '../errors.ts';
import { JOB_SCHEMA, type Jobs, QUEUE_NAMES } from '../jobs/jobs.ts';
import type { LimiterStore } from './rate-limit.ts';
import { platformRoute } from './route.ts';
import type { AppState } from './state.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED = '(unmatched)';
/** How long a scrape waits for the job queue counts before leaving them out. */
const QUEUE_DEADLINE_MS = 2_000;

export type Metrics = {
  registry: Registry;
  /** Counts and times every request (outermost, after the access log). */
  middleware: Middleware<AppState>;
  /** Watches a knex pool's waits (once per pool and registry) and reports its sizes at scrape time. */
  watchPool: (name: 'app' | 'owner' | 'read', db: Knex) => void;
  /** Sources read at scrape time. */
  watchLimiter: (limiter: LimiterStore) => void;
  watchJobs: (jobs: Jobs) => void;
  /** A job attempt failed in this process (it will be retried or dead-lettered). */
  jobFailed: (queue: string) => void;
  /** A Stripe webhook was answered with an error. */
  webhookFailed: (reason: string) => void;
};

type PoolEvents = {
  on: (event: string, listener: (...args: unknown[]) => void) => void;
  numUsed: () => number;
  numFree: () => number;
  numPendingAcquires: () => number;
  numPendingCreates: () => number;
  max: number;
};

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'edify_' });
  const pools = new Map<string, Knex>();
  let limiter: LimiterStore | undefined;
  let jobs: Jobs | undefined;

  const requests = new Counter({
    name: 'edify_http_requests_total',
    help: 'HTTP requests by method, declared route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'edify_http_request_duration_seconds',
    help: 'HTTP request latency by method, declared route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Pools.
  const acquireWait = new Histogram({
    name: 'edify_db_pool_acquire_seconds',
    help: 'Time a caller waited for a database connection',
    labelNames: ['pool'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const acquireFailures = new Counter({
    name: 'edify_db_pool_acquire_failures_total',
    help: 'Waits for a database connection that failed (timed out, or the server was away)',
    labelNames: ['pool'],
    registers: [registry],
  });
  const poolGauge = (name: string, help: string, read: (pool: PoolEvents, db: Knex) => number, labelNames: string[] = ['pool']) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [label, db] of pools) {
          const pool = poolOf(db);
          if (pool) this.set({ pool: label }, read(pool, db));
        }
      },
    });
  poolGauge('edify_db_pool_max', 'Largest number of connections the pool opens', (p) => p.max);
  poolGauge('edify_db_pool_waiting', 'Callers waiting for a connection right now', (p) => p.numPendingAcquires());
  poolGauge('edify_db_pool_up', 'Whether the pool reaches its server (0 while its connection attempts fail)', (_p, db) => (reachabilityOf(db).down ? 0 : 1));
  new Gauge({
    name: 'edify_db_pool_connections',
    help: 'Connections by state (used, free, opening)',
    labelNames: ['pool', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [label, db] of pools) {
        const pool = poolOf(db);
        if (!pool) continue;
        this.set({ pool: label, state: 'used' }, pool.numUsed());
        this.set({ pool: label, state: 'free' }, pool.numFree());
        this.set({ pool: label, state: 'opening' }, pool.numPendingCreates());
      }
    },
  });

  // Rate limits: counters kept by the limiter store, read at scrape time.
  const fromLimiter = (name: string, help: string, read: (l: LimiterStore) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        if (limiter) this.inc(read(limiter));
      },
    });
  new Counter({
    name: 'edify_rate_limit_refusals_total',
    help: 'Requests refused (429) by a rate limit, by limit name',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [limit, n] of Object.entries(limiter?.stats.refusals ?? {})) this.inc({ limit }, n);
    },
  });
  new Gauge({
    name: 'edify_rate_limit_redis_connected',
    help: 'Whether rate limits count in Redis right now (0 without REDIS_URL or during an outage)',
    registers: [registry],
    collect() {
      this.set(limiter?.stats.usingRedis ? 1 : 0);
    },
  });
  fromLimiter('edify_rate_limit_redis_outages_total', 'Times the rate-limit Redis went away', (l) => l.stats.outages);
  fromLimiter('edify_rate_limit_fallback_checks_total', 'Limit checks counted in process memory although REDIS_URL is set', (l) => l.stats.fallbackChecks);
  fromLimiter('edify_rate_limit_redis_errors_total', 'Rate-limit Redis commands that failed or timed out', (l) => l.stats.redisErrors);

  // Jobs.
  const jobFailures = new Counter({
    name: 'edify_job_failures_total',
    help: 'Job attempts that failed in this process (retried with backoff, then dead-lettered)',
    labelNames: ['queue'],
    registers: [registry],
  });
  const queueErrors = new Counter({
    name: 'edify_metrics_queue_read_failures_total',
    help: 'Scrapes that could not read the job queue counts (database away or slow)',
    registers: [registry],
  });
  const jobsGauge = new Gauge({
    name: 'edify_jobs',
    help: 'Jobs per queue and state (created, retry, active, failed); dead letters are queue "<name>.dead"',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      if (!jobs) return;
      const counts = await withDeadline(queueCounts(jobs), QUEUE_DEADLINE_MS).catch(() => undefined);
      if (!counts) {
        queueErrors.inc();
        return;
      }
      for (const row of counts) this.set({ queue: row.queue, state: row.state }, row.n);
    },
  });
  void jobsGauge;

  const webhookFailures = new Counter({
    name: 'edify_stripe_webhook_failures_total',
    help: 'Stripe webhook deliveries answered with an error, by problem code',
    labelNames: ['reason'],
    registers: [registry],
  });

  const watchedPools = new WeakSet<Knex>();
  return {
    registry,
    middleware: async (ctx, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const labels = {
          method: METHODS.has(ctx.method) ? ctx.method : 'OTHER',
          route: (ctx as { _matchedRoute?: string })._matchedRoute ?? UNMATCHED,
          status: String(ctx.status),
        };
        requests.inc(labels);
        duration.observe(labels, (performance.now() - started) / 1000);
      }
    },
    watchPool(name, db) {
      pools.set(name, db);
      if (watchedPools.has(db)) return;
      watchedPools.add(db);
      const waiting = new Map<unknown, number>();
      observePool(db, (event, id) => {
        if (event === 'acquireRequest') {
          waiting.set(id, performance.now());
          return;
        }
        const since = waiting.get(id);
        waiting.delete(id);
        if (event === 'acquireFail') acquireFailures.inc({ pool: name });
        else if (since !== undefined) acquireWait.observe({ pool: name }, (performance.now() - since) / 1000);
      });
    },
    watchLimiter(store) {
      limiter = store;
    },
    watchJobs(queue) {
      jobs = queue;
    },
    jobFailed: (queue) => jobFailures.inc({ queue }),
    webhookFailed: (reason) => webhookFailures.inc({ reason }),
  };
}

type PoolEvent = 'acquireRequest' | 'acquireSuccess' | 'acquireFail';
const poolObservers = new WeakMap<Knex, Set<(event: PoolEvent, id: unknown) => void>>();

/** One listener per pool event however many registries watch the pool (several apps in a test
 * process share pools), so the pool's EventEmitter never collects listeners per app. */
function observePool(db: Knex, observer: (event: PoolEvent, id: unknown) => void): void {
  let observers = poolObservers.get(db);
  if (!observers) {
    const pool = poolOf(db);
    if (!pool) return;
    const set = new Set<(event: PoolEvent, id: unknown) => void>();
    observers = set;
    poolObservers.set(db, set);
    for (const event of ['acquireRequest', 'acquireSuccess', 'acquireFail'] as const)
      pool.on(event, (id) => {
        for (const o of set) o(event, id);
      });
  }
  observers.add(observer);
}

function poolOf(db: Knex): PoolEvents | undefined {
  return (db.client as { pool?: PoolEvents }).pool;
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deadline')), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Jobs of this deployment's queues that are not done, and failed ones, by queue (without the prefix). */
async function queueCounts(jobs: Jobs): Promise<{ queue: string; state: string; n: number }[]> {
  const { rows } = await jobs.boss.getDb().executeSql(
    `select name, state::text as state, count(*)::int as n from ${JOB_SCHEMA}.job
        where name = any($1::text[]) and state in ('created', 'retry', 'active', 'failed') group by name, state`,
    [jobs.allNames()],
  );
  const found = new Map<string, number>();
  for (const row of rows as { name: string; state: string; n: number }[]) {
    const parsed = jobs.parse(row.name);
    if (parsed) found.set(`${parsed.dead ? `${parsed.queue}.dead` : parsed.queue}|${row.state}`, row.n);
  }
  // Every queue and state, zeros included, so a dashboard's series never disappear.
  return QUEUE_NAMES.flatMap((queue) =>
    [queue, `${queue}.dead`].flatMap((name) =>
      ['created', 'retry', 'active', 'failed'].map((state) => ({ queue: name, state, n: found.get(`${name}|${state}`) ?? 0 })),
    ),
  );
}

/** Whether a request may read the metrics. Without METRICS_TOKEN only a development process
 * serves them on the main port (and never alongside METRICS_PORT); with it, the bearer token
 * must match (compared in constant time over SHA-256 digests, so its length leaks nothing). */
export function metricsAccess(
  config: Pick<AppDeps['config'], 'env' | 'observability'>,
  authorization: string,
  where: 'main' | 'internal',
): 'ok' | 'hidden' | 'refused' {
  const token = config.observability.metricsToken;
  if (token === undefined) {
    if (where === 'internal') return 'ok';
    return config.env === 'development' && config.observability.metricsPort === undefined ? 'ok' : 'hidden';
  }
  const match = /^Bearer\s+(.+)$/i.exec(authorization);
  if (!match?.[1]) return 'refused';
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(token)) ? 'ok' : 'refused';
}

/** GET /metrics on every host of the main port: only with the token (see metricsAccess). */
export const metricsRoute = platformRoute(
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (needs METRICS_TOKEN as a bearer token)',
    description:
      'Request counts and latency by declared route and status, database pools, job queues, webhook failures, rate limits. Answers 404 unless METRICS_TOKEN is set (or the process runs in development without METRICS_PORT).',
    tags: ['health'],
    responses: { 200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain; version=0.0.4' } },
    handler: async ({ ctx, deps }) => {
      const access = metricsAccess(deps.config, ctx.get('authorization'), 'main');
      if (access === 'hidden') throw new AppError('not-found', `Nothing lives at ${ctx.method} ${ctx.path}.`);
      if (access === 'refused') throw new AppError('unauthenticated', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".');
      const metrics = deps.metrics;
      if (!metrics) throw new AppError('not-found', `Nothing lives at ${ctx.method} ${ctx.path}.`);
      return { body: await metrics.registry.metrics(), headers: { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' } };
    },
  },
  'any',
);

export type MetricsServer = { port: number; close: () => Promise<void> };

/** The internal metrics port (METRICS_PORT on METRICS_HOST): GET /metrics and nothing else. */
export async function startMetricsServer(
  metrics: Metrics,
  config: Pick<AppDeps['config'], 'env' | 'observability'>,
  port = config.observability.metricsPort ?? 0,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    if (metricsAccess(config, req.headers.authorization ?? '', 'internal') !== 'ok') {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Send the metrics token.\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics failed.\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.observability.metricsHost, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
