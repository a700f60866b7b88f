// /healthz: the process is up (no database work, for liveness probes).
// /readyz: the database answers as the app role and every migration in the code is applied
// (for readiness probes and deploy scripts).
import { z } from 'zod';
import { migrationNames } from '../db/migrate.ts';
import { platformRoute } from './route.ts';

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'unreachable']),
  migrations: z.object({ pending: z.array(z.string()) }),
});

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
        let applied: string[] | undefined;
        try {
          const rows = await deps.dbs.app('knex_migrations').select('name').timeout(2000, { cancel: true });
          applied = rows.map((r: { name: string }) => r.name);
        } catch (error) {
          deps.log.warn({ err: error }, 'readiness check could not reach the database');
        }
        const pending = applied ? expected.filter((name) => !applied.includes(name)) : expected;
        const ready = applied !== undefined && pending.length === 0;
        return {
          status: ready ? 200 : 503,
          headers: { 'Cache-Control': 'no-store' },
          body: { status: ready ? 'ready' : 'not_ready', database: applied ? 'ok' : 'unreachable', migrations: { pending } },
        };
      },
    },
    'any',
  ),
];
