// Starts Edify: database (embedded when DATABASE_URL is unset), migrations, the demo school on
// an empty database, then HTTP. close() stops accepting, drains, and releases everything.
import type { Server } from 'node:http';
import path from 'node:path';
import { APP_ROLE } from '../tenants/schema.ts';
import { buildApp } from './app.ts';
import { type AppDeps, sessionPolicy } from './app-deps.ts';
import { createSecretBox, parseEncryptionKeys } from './auth/secret-box.ts';
import { tokenKeys } from './auth/tokens.ts';
import { loadPlans } from './billing/plans.ts';
import { createBilling } from './billing/stripe.ts';
import type { Config } from './config.ts';
import { type Databases, openDatabases } from './db/connection.ts';
import { migrateLatest } from './db/migrate.ts';
import { createErrorReporter } from './http/error-report.ts';
import { createLogger } from './http/logger.ts';
import { createMetrics, type MetricsServer, startMetricsServer } from './http/metrics.ts';
import { createLimiterStore } from './http/rate-limit.ts';
import { openJobs } from './jobs/jobs.ts';
import { startWorker } from './jobs/worker.ts';
import { createMailer } from './mail/mailer.ts';
import { closeEventHubs } from './notifications/events.ts';
import { seedDemoIfEmpty } from './platform/demo.ts';

export type Running = { url: string; port: number; deps: AppDeps; seeded: boolean; close: () => Promise<void> };

/** `worker`: also run the job handlers in this process (the default; `edify serve --no-worker`
 * leaves them to separate `edify worker` processes). Either way requests enqueue jobs. */
export async function startServer(config: Config, options: { migrate?: boolean; worker?: boolean } = {}): Promise<Running> {
  const log = createLogger(config.logLevel);
  const dbs = await openDatabases(config, { log: (line) => log.debug({ source: 'postgres' }, line) });
  let stopJobs: (() => Promise<void>) | undefined;
  try {
    if (options.migrate ?? true) {
      const applied = await migrateLatest(dbs.owner, dbs.appUrl);
      if (applied.length > 0) log.info({ applied }, 'migrations applied');
    }
    await assertAppRoleIsSafe(dbs);
    const keys = tokenKeys(config.signingSecrets, config.accessTokenTtlSeconds);
    const limiter = createLimiterStore(config.redisUrl, { timeoutMs: config.redisTimeoutMs, log });
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, mailDir: path.join(config.dataDir, 'mail') });
    const secretBox = createSecretBox(parseEncryptionKeys(config.encryptionKeys));
    const runWorker = options.worker ?? true;
    const jobs = await openJobs({
      ownerUrl: dbs.ownerUrl,
      prefix: config.jobPrefix,
      supervise: runWorker,
      onError: (error) => log.error({ err: error }, 'job queue error'),
    });
    stopJobs = () => jobs.stop(0);
    // After the job queue: the demo's published notice queues its notification job.
    const seeded = config.seedDemo ? await seedDemoIfEmpty(dbs.owner, { jobs, box: secretBox }) : false;
    const metrics = createMetrics({ defaults: true });
    const deps: AppDeps = {
      metrics,
      ...(config.observability.sentryDsn ? { errorReporter: createErrorReporter(config.observability.sentryDsn, { environment: config.env, log }) } : {}),
      config,
      dbs,
      log,
      tokenKeys: keys,
      sessions: sessionPolicy(config, keys),
      limiter,
      mailer,
      secretBox,
      clock: () => new Date(),
      billing: createBilling(config),
      plans: loadPlans(config.plansFile),
      jobs,
    };
    const app = buildApp(deps);
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    // Handlers start once the server answers (a job queued meanwhile waits in the table).
    const worker = runWorker ? await startWorker({ config, dbs, log, mailer, secretBox, clock: () => new Date(), jobs, metrics }) : undefined;
    // The internal metrics port (METRICS_PORT), when set: /metrics only, never on a school's address.
    const metricsServer: MetricsServer | undefined = config.observability.metricsPort ? await startMetricsServer(metrics, config) : undefined;
    // Keep-alive sockets would hold close() open; close them once the server stops accepting.
    server.keepAliveTimeout = 5_000;
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const close = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      // Running jobs get up to WORKER_SHUTDOWN_SECONDS to finish; the rest are retried elsewhere.
      await closeEventHubs();
      await (worker ?? jobs).stop(config.workerShutdownMs);
      await metricsServer?.close();
      await limiter.close();
      await dbs.close();
    };
    return { url: `http://${config.baseDomain}:${port}`, port, deps, seeded, close };
  } catch (error) {
    await stopJobs?.();
    await dbs.close();
    throw error;
  }
}

/** Refuses to serve if the request role could bypass row-level security. */
export async function assertAppRoleIsSafe(dbs: Databases): Promise<void> {
  const { rows } = await dbs.app.raw(
    `select r.rolname, r.rolsuper, r.rolbypassrls,
            (select count(*) from pg_class c where c.relowner = r.oid and c.relkind in ('r', 'p')) as owned
       from pg_roles r where r.rolname = current_user`,
  );
  const role = rows[0];
  const problems: string[] = [];
  if (role.rolname !== APP_ROLE) problems.push(`connects as ${role.rolname}, expected ${APP_ROLE}`);
  if (role.rolsuper) problems.push('is a superuser');
  if (role.rolbypassrls) problems.push('has BYPASSRLS');
  if (Number(role.owned) > 0) problems.push('owns tables');
  if (problems.length > 0)
    throw new Error(`Refusing to serve: the app database role ${problems.join(', ')}. Row-level security would not protect schools from each other.`);
}
