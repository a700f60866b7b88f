// What operators see and do with jobs (`edify jobs:list`, `jobs:retry`, `jobs:stats`). Reads
// pgboss.job as the owner. Job data is never shown: it holds addresses and sealed links.
import { JOB_SCHEMA, type Jobs, QUEUE_NAMES, SCHEDULES } from './jobs.ts';

export type JobRow = {
  id: string;
  queue: string;
  state: string;
  tenant_id: string | null;
  retry_count: number;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  error: string | null;
};

const WAITING = ['created', 'retry'];

function rowOf(r: Record<string, unknown>): JobRow {
  const output = r.output as { message?: unknown } | null;
  return {
    id: String(r.id),
    queue: String(r.name),
    state: String(r.state),
    tenant_id: (r.tenant_id as string | null) ?? null,
    retry_count: Number(r.retry_count),
    created_on: r.created_on as Date,
    started_on: (r.started_on as Date | null) ?? null,
    completed_on: (r.completed_on as Date | null) ?? null,
    error: typeof output?.message === 'string' ? output.message.slice(0, 200) : null,
  };
}

const COLUMNS = `id, name, state, data->>'tenant_id' as tenant_id, retry_count, created_on, started_on, completed_on, output`;

/** Recent jobs of our queues, newest first. `failed`: the dead letters waiting for an operator. */
export async function listJobs(jobs: Jobs, options: { failed?: boolean; limit?: number } = {}): Promise<JobRow[]> {
  const names = options.failed ? QUEUE_NAMES.map((q) => jobs.deadName(q)) : jobs.allNames();
  const states = options.failed ? WAITING : ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'];
  const { rows } = await jobs.boss.getDb().executeSql(
    `select ${COLUMNS} from ${JOB_SCHEMA}.job where name = any($1::text[]) and state::text = any($2::text[])
      order by created_on desc limit $3`,
    [names, states, options.limit ?? 50],
  );
  return rows.map(rowOf);
}

/** Sends dead letters (or a failed job) back to their queue. Returns the new job ids. */
export async function retryJobs(jobs: Jobs, target: { id: string } | { allFailed: true }): Promise<{ retried: { from: string; to: string | null }[] }> {
  const db = jobs.boss.getDb();
  const deadNames = QUEUE_NAMES.map((q) => jobs.deadName(q));
  const { rows } =
    'id' in target
      ? await db.executeSql(`select id, name, state, data from ${JOB_SCHEMA}.job where id = $1::uuid and name = any($2::text[])`, [target.id, jobs.allNames()])
      : await db.executeSql(`select id, name, state, data from ${JOB_SCHEMA}.job where name = any($1::text[]) and state::text = any($2::text[])`, [
          deadNames,
          WAITING,
        ]);
  if ('id' in target && rows.length === 0) throw new Error(`No job ${target.id} in this deployment's queues.`);
  const retried: { from: string; to: string | null }[] = [];
  for (const row of rows as { id: string; name: string; state: string; data: Record<string, unknown> }[]) {
    const parsed = jobs.parse(row.name);
    if (!parsed) continue;
    if (parsed.dead) {
      if (!WAITING.includes(row.state)) throw new Error(`Dead letter ${row.id} was already handled (${row.state}).`);
      const to = await jobs.send(parsed.queue, row.data);
      await jobs.boss.deleteJob(row.name, row.id);
      retried.push({ from: row.id, to });
    } else {
      if (row.state !== 'failed') throw new Error(`Job ${row.id} is ${row.state}, not failed.`);
      // Its copy in the dead-letter queue would be a second delivery: remove it first.
      await db.executeSql(`delete from ${JOB_SCHEMA}.job where name = $1 and state::text = any($2::text[]) and data = $3::jsonb`, [
        jobs.deadName(parsed.queue),
        WAITING,
        JSON.stringify(row.data),
      ]);
      await jobs.boss.retry(row.name, row.id);
      retried.push({ from: row.id, to: row.id });
    }
  }
  return { retried };
}

export type QueueStats = { queue: string; counts: Record<string, number>; oldest_waiting: Date | null };
export type Stats = { queues: QueueStats[]; schedules: { queue: string; cron: string; timezone: string | null; description: string }[] };

export async function jobStats(jobs: Jobs): Promise<Stats> {
  const db = jobs.boss.getDb();
  const { rows } = await db.executeSql(
    `select name, state::text as state, count(*)::int as n, min(created_on) filter (where state in ('created', 'retry')) as oldest
       from ${JOB_SCHEMA}.job where name = any($1::text[]) group by name, state`,
    [jobs.allNames()],
  );
  const queues = jobs.allNames().map((queue): QueueStats => {
    const mine = (rows as { name: string; state: string; n: number; oldest: Date | null }[]).filter((r) => r.name === queue);
    const oldest = mine
      .map((r) => r.oldest)
      .filter((d): d is Date => d !== null)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    return { queue, counts: Object.fromEntries(mine.map((r) => [r.state, r.n])), oldest_waiting: oldest ?? null };
  });
  const registered = await jobs.boss.getSchedules();
  const schedules = SCHEDULES.map((s) => {
    const found = registered.find((r) => r.name === jobs.name(s.queue));
    return {
      queue: jobs.name(s.queue),
      cron: found?.cron ?? s.cron,
      timezone: found?.timezone ?? null,
      description: s.description,
      registered: Boolean(found),
    };
  });
  // Registered by the worker only when BACKUP_SCHEDULE is set (api/backup/schedule.ts).
  const backup = registered.find((r) => r.name === jobs.name('backup'));
  if (backup) {
    schedules.push({
      queue: jobs.name('backup'),
      cron: backup.cron,
      timezone: backup.timezone ?? null,
      description: 'per-school backups into BACKUP_TARGET, then the retention (BACKUP_SCHEDULE)',
      registered: true,
    });
  }
  return { queues, schedules };
}
