// /healthz: the process is up (no database work, for liveness probes).
// /readyz: the database answers as the app role and every migration in the code is applied
// (for readiness probes and deploy scripts). Its one query has its own short deadline and is
// never cancelled (behind pgbouncer a cancel would hit pgbouncer's made-up backend pid): when the
// deadline passes, the answer is "busy", not "unreachable", and it leaves the query to finish.
// A database that refuses connections is "unreachable" at once (api/db/connection.ts).
// It also reports the job worker: how long ago any worker of this deployment last recorded its
// heartbeat (api/jobs/heartbeat.ts). That is information only, unless READY_REQUIRES_WORKER is set:
// then an instance is not ready while no worker has been heard from within
// READY_WORKER_STALE_SECONDS.
import type { Knex } from 'knex';
import { z } from 'zod';
import { migrationNames } from '../db/migrate.ts';
import { fromDatabaseError, isConnectionError } from '../errors.ts';
import { HEARTBEAT_MIGRATION, type WorkerStatus, workerStatus } from '../jobs/heartbeat.ts';
import { platformRoute } from './route.ts';

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'busy', 'unreachable']),
  migrations: z.object({ pending: z.array(z.string()) }),
  worker: z.object({
    status: z.enum(['ok', 'stale', 'none', 'unknown']),
    last_seen_seconds: z.number().nullable(),
    workers: z.number().int(),
    required: z.boolean(),
  }),
});

/** How long /readyz waits for its query before it answers "busy". */
export const READY_DEADLINE_MS = 2_000;

// The migrations the last answered check found pending, per pool: a busy database (its check
// past the deadline) is still up, so the instance stays ready if it was before; and a database
// that cannot be asked does not make every migration look pending.
const lastPending = new WeakMap<Knex, string[]>();

type Check = { database: 'ok' | 'busy' | 'unreachable'; pending: string[] | undefined; worker?: WorkerStatus; error?: unknown };

async function checkDatabase(app: Knex, expected: string[], worker: { prefix: string; staleMs: number }): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'busy'>((resolve) => {
    timer = setTimeout(() => resolve('busy'), READY_DEADLINE_MS);
    timer.unref();
  });
  const query = app('knex_migrations')
    .select('name')
    .then(async (rows: { name: string }[]) => {
      const names = rows.map((r) => r.name);
      // Before its migration is applied there is no heartbeat table to read.
      const status = names.includes(HEARTBEAT_MIGRATION) ? await workerStatus(app, worker.prefix, worker.staleMs) : undefined;
      return { names, status };
    });
  try {
    const answer = await Promise.race([query, deadline]);
    if (answer === 'busy') return { database: 'busy', pending: lastPending.get(app) };
    const pending = expected.filter((name) => !answer.names.includes(name));
    lastPending.set(app, pending);
    return { database: 'ok', pending, ...(answer.status ? { worker: answer.status } : {}) };
  } catch (error) {
    // Overload is not absence: pgbouncer's query_wait_timeout (it queued the check and gave up),
    // too many connections, a statement or lock timeout. The database is there, just busy.
    if (fromDatabaseError(error)?.code === 'unavailable') return { database: 'busy', pending: lastPending.get(app) };
    // A database that answers with an error (a missing grant, a missing table) is as good as away.
    return { database: 'unreachable', pending: lastPending.get(app), error: isConnectionError(error) ? undefined : error };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes = [
  platformRoute(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['health'],
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ body: { status: 'ok' }, headers: { 'Cache-Control': 'no-store' } }),
    },
    'any',
  ),
  platformRoute(
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: database reachable, migrations current, and (when required) a worker heard from',
      tags: ['health'],
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'Not ready', schema: readiness },
      },
      handler: async ({ deps }) => {
        const expected = migrationNames();
        const { observability } = deps.config;
        const prefix = deps.jobs?.prefix ?? deps.config.jobPrefix;
        const check = await checkDatabase(deps.dbs.app, expected, { prefix, staleMs: observability.workerStaleMs });
        if (check.database !== 'ok') deps.log.warn({ database: check.database, err: check.error }, 'readiness check could not use the database');
        const pending = check.pending ?? expected;
        const required = observability.readyRequiresWorker;
        const worker = { ...(check.worker ?? { status: 'unknown' as const, last_seen_seconds: null, workers: 0 }), required };
        // A busy database could not be asked: the worker is unknown then, which fails no one.
        const workerOk = !required || worker.status === 'ok' || (check.database === 'busy' && worker.status === 'unknown');
        const ready = check.database !== 'unreachable' && check.pending !== undefined && pending.length === 0 && workerOk;
        return {
          status: ready ? 200 : 503,
          headers: { 'Cache-Control': 'no-store' },
          body: { status: ready ? 'ready' : 'not_ready', database: check.database, migrations: { pending }, worker },
        };
      },
    },
    'any',
  ),
];
