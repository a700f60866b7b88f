// Worker heartbeats (migrations/20261127000500): a running worker upserts its row every
// WORKER_HEARTBEAT_SECONDS with the database's own clock, and deletes it when it stops. /readyz
// reads the newest beat as the app role (api/http/health.ts). A beat that fails (the database is
// away) is logged once per outage and tried again at the next interval: the worker goes on.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';

export const HEARTBEAT_MIGRATION = '20261127000500_worker-heartbeats.ts';

type Log = { warn: (fields: object, message: string) => void; info: (fields: object, message: string) => void };

export type Heartbeat = { workerId: string; beat: () => Promise<boolean>; stop: () => Promise<void> };

/** Records a first beat (when the database answers), then one every intervalMs until stop(). */
export async function startHeartbeat(owner: Knex, options: { prefix: string; intervalMs: number; log: Log }): Promise<Heartbeat> {
  const workerId = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let failing = false;
  const beat = async (): Promise<boolean> => {
    try {
      await owner.raw(
        `insert into worker_heartbeats (worker_id, prefix, hostname, pid, started_at, beat_at) values (?, ?, ?, ?, now(), now())
         on conflict (worker_id) do update set beat_at = now()`,
        [workerId, options.prefix, os.hostname(), process.pid],
      );
      if (failing) options.log.info({ worker_id: workerId }, 'worker heartbeat recorded again');
      failing = false;
      return true;
    } catch (error) {
      if (!failing) options.log.warn({ worker_id: workerId, cause: (error as { code?: string }).code }, 'worker heartbeat could not be recorded');
      failing = true;
      return false;
    }
  };
  // Rows of workers that died without stopping (kill -9) are kept a day, then removed.
  await owner.raw(`delete from worker_heartbeats where prefix = ? and beat_at < now() - interval '1 day'`, [options.prefix]).catch(() => undefined);
  await beat();
  let running: Promise<boolean> | undefined;
  const timer = setInterval(() => {
    running ??= beat().finally(() => {
      running = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return {
    workerId,
    beat,
    stop: async () => {
      clearInterval(timer);
      await running;
      await owner('worker_heartbeats')
        .where({ worker_id: workerId })
        .delete()
        .catch(() => undefined);
    },
  };
}

export type WorkerStatus = {
  /** ok: a worker beat within the stale window; stale: the newest beat is older; none: no worker row. */
  status: 'ok' | 'stale' | 'none';
  /** Seconds since the newest beat (null: none). */
  last_seen_seconds: number | null;
  /** Workers heard from within the stale window. */
  workers: number;
};

export async function workerStatus(db: Knex, prefix: string, staleMs: number): Promise<WorkerStatus> {
  const { rows } = await db.raw(
    `select count(*) filter (where beat_at > now() - make_interval(secs => ?))::int as fresh,
            extract(epoch from now() - max(beat_at))::float8 as age
       from worker_heartbeats where prefix = ?`,
    [staleMs / 1000, prefix],
  );
  const { fresh, age } = rows[0] as { fresh: number; age: number | null };
  if (age === null) return { status: 'none', last_seen_seconds: null, workers: 0 };
  return { status: fresh > 0 ? 'ok' : 'stale', last_seen_seconds: Math.max(0, Math.round(age)), workers: fresh };
}
