// /healthz: the process is up (no database work, for liveness probes).
// /readyz: the database answers as the app role and every migration in the code is applied
// (for readiness probes and deploy scripts). Its one query has its own short deadline and is
// never cancelled (behind pgbouncer a cancel would hit pgbouncer's made-up backend pid): when the
// deadline passes, the answer is "busy", not "unreachable", and it leaves the query to finish.
// A database that refuses connections is "unreachable" at once (api/db/connection.ts).
import type { Knex } from 'knex';
import { z } from 'zod';
import { migrationNames } from '../db/migrate.ts';
import { isConnectionError } from '../errors.ts';
import { platformRoute } from './route.ts';

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'busy', 'unreachable']),
  migrations: z.object({ pending: z.array(z.string()) }),
});

/** How long /readyz waits for its query before it answers "busy". */
export const READY_DEADLINE_MS = 2_000;

// The migrations the last answered check found pending, per pool: a busy database (its check
// past the deadline) is still up, so the instance stays ready if it was before; and a database
// that cannot be asked does not make every migration look pending.
const lastPending = new WeakMap<Knex, string[]>();

type Check = { database: 'ok' | 'busy' | 'unreachable'; pending: string[] | undefined; error?: unknown };

async function checkDatabase(app: Knex, expected: string[]): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'busy'>((resolve) => {
    timer = setTimeout(() => resolve('busy'), READY_DEADLINE_MS);
    timer.unref();
  });
  const query = app('knex_migrations')
    .select('name')
    .then((rows: { name: string }[]) => rows.map((r) => r.name));
  try {
    const applied = await Promise.race([query, deadline]);
    if (applied === 'busy') return { database: 'busy', pending: lastPending.get(app) };
    const pending = expected.filter((name) => !applied.includes(name));
    lastPending.set(app, pending);
    return { database: 'ok', pending };
  } catch (error) {
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
      summary: 'Readiness: database reachable and migrations current',
      tags: ['health'],
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'Not ready', schema: readiness },
      },
      handler: async ({ deps }) => {
        const expected = migrationNames();
        const check = await checkDatabase(deps.dbs.app, expected);
        if (check.database !== 'ok') deps.log.warn({ database: check.database, err: check.error }, 'readiness check could not use the database');
        const pending = check.pending ?? expected;
        const ready = check.database !== 'unreachable' && check.pending !== undefined && pending.length === 0;
        return {
          status: ready ? 200 : 503,
          headers: { 'Cache-Control': 'no-store' },
          body: { status: ready ? 'ready' : 'not_ready', database: check.database, migrations: { pending } },
        };
      },
    },
    'any',
  ),
];
