// The job queue: pg-boss in the same PostgreSQL, schema `pgboss` (migrations/20261126000400).
// One `Jobs` per process. It connects as the owner (pg-boss's maintenance, workers, the CLI);
// requests never use its pool: they insert jobs through their own transaction (api/jobs/outbox.ts).
//
// Every queue has a dead-letter queue `<queue>.dead`: a job that fails after its last retry is
// copied there and waits for an operator (`edify jobs:list --failed`, `edify jobs:retry`).
// Queue names carry an optional prefix (EDIFY_JOB_PREFIX) so separate test processes sharing
// one database never run each other's jobs; in production it is empty.
import { PgBoss, type SendOptions } from 'pg-boss';

export const JOB_SCHEMA = 'pgboss';

export type QueueSpec = {
  /** Attempts after the first (pg-boss retryLimit). */
  retryLimit: number;
  /** First retry delay in seconds; doubled per attempt (exponential backoff with jitter). */
  retryDelay: number;
  retryDelayMax: number;
  /** A running job that takes longer than this is failed (and retried): the per-job timeout. */
  expireInSeconds: number;
  /** How many jobs of this queue one process runs at once. */
  concurrency: number;
};

/** Every queue and its retry policy (see docs/operations.md). */
export const QUEUES = {
  /** One email (api/mail): data is sealed, as links carry tokens. */
  email: { retryLimit: 6, retryDelay: 30, retryDelayMax: 3600, expireInSeconds: 120, concurrency: 4 },
  /** A notice became visible: queue its deliveries and tell its readers. */
  'notice-published': { retryLimit: 5, retryDelay: 10, retryDelayMax: 600, expireInSeconds: 120, concurrency: 2 },
  /** Something to tell now (homework published, work returned, a quiz open): one school's
   * notification sweep at once, instead of at the next tick (api/notifications/soon.ts). */
  notify: { retryLimit: 3, retryDelay: 10, retryDelayMax: 300, expireInSeconds: 300, concurrency: 2 },
  /** Cron: every few minutes, one `school-tick` per active school. */
  tick: { retryLimit: 1, retryDelay: 10, retryDelayMax: 60, expireInSeconds: 300, concurrency: 1 },
  /** One school's timed work: scheduled notices, expired attempts, reminders, digests, billing clock, pruning. */
  'school-tick': { retryLimit: 3, retryDelay: 30, retryDelayMax: 600, expireInSeconds: 600, concurrency: 2 },
  /** Cron, only when BACKUP_SCHEDULE is set: one archive per school, then retention (api/backup/schedule.ts). */
  backup: { retryLimit: 1, retryDelay: 600, retryDelayMax: 3600, expireInSeconds: 6 * 3600, concurrency: 1 },
  /** A certificate was issued: draw its PDF, store it, tell the student (api/courses/certificate-job.ts). */
  'certificate-render': { retryLimit: 5, retryDelay: 10, retryDelayMax: 600, expireInSeconds: 120, concurrency: 2 },
  /** Copy a large class's course into a new class, reporting progress (api/courses/copy-job.ts). */
  'course-copy': { retryLimit: 2, retryDelay: 60, retryDelayMax: 600, expireInSeconds: 1800, concurrency: 1 },
  /** "Find my school": look an address up across schools, queue the email (api/signup/find-school.ts). */
  'find-school': { retryLimit: 5, retryDelay: 10, retryDelayMax: 600, expireInSeconds: 120, concurrency: 2 },
} satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

/** Cron schedules (UTC), by queue: visible in `edify jobs:stats`. */
export const SCHEDULES: { queue: QueueName; cron: string; description: string }[] = [
  {
    queue: 'tick',
    cron: '*/5 * * * *',
    description: 'per-school timed work (scheduled notices, reminders, digests, expired attempts, billing clock, pruning)',
  },
];

export type JobsOptions = {
  ownerUrl: string;
  /** Prepended to every queue name (tests; several deployments on one database). */
  prefix?: string;
  /** Connections in pg-boss's own pool. */
  max?: number;
  /** Runs maintenance (expiry, retention) and the cron clock: true for a worker. */
  supervise?: boolean;
  /** Seconds between pg-boss's supervision passes (expired jobs are found on them). */
  superviseIntervalSeconds?: number;
  /** Per-queue overrides (tests shorten retries and timeouts). */
  queues?: Partial<Record<QueueName, Partial<QueueSpec>>>;
  onError?: (error: Error) => void;
};

export type Jobs = {
  boss: PgBoss;
  prefix: string;
  /** The full queue name (with prefix). */
  name(queue: QueueName): string;
  /** The queue's dead-letter queue. */
  deadName(queue: QueueName): string;
  spec(queue: QueueName): QueueSpec;
  /** Every queue this process knows, with its dead-letter queue. */
  allNames(): string[];
  /** Which of our queues a full name belongs to, and whether it is a dead-letter queue. */
  parse(fullName: string): { queue: QueueName; dead: boolean } | undefined;
  /** Sends on the worker's own connection (cron fan-out, re-sending dead letters). */
  send(queue: QueueName, data: Record<string, unknown>, options?: SendOptions): Promise<string | null>;
  /** Stops workers (letting running jobs finish up to timeoutMs) and closes the pool. */
  stop(timeoutMs?: number): Promise<void>;
};

export async function openJobs(options: JobsOptions): Promise<Jobs> {
  const prefix = options.prefix ?? '';
  const supervise = options.supervise ?? false;
  const boss = new PgBoss({
    connectionString: options.ownerUrl,
    application_name: 'edify-jobs',
    schema: JOB_SCHEMA,
    max: options.max ?? 4,
    migrate: true,
    supervise,
    schedule: supervise,
    // pg-boss checks these with `in`: an undefined value would fail its assertions.
    ...(options.superviseIntervalSeconds
      ? { superviseIntervalSeconds: options.superviseIntervalSeconds, monitorIntervalSeconds: options.superviseIntervalSeconds }
      : {}),
    useListenNotify: supervise,
    registerInstance: false,
  });
  boss.on('error', (error) => options.onError?.(error as Error));
  await boss.start();
  const spec = (queue: QueueName): QueueSpec => ({ ...QUEUES[queue], ...options.queues?.[queue] });
  const name = (queue: QueueName) => `${prefix}${queue}`;
  const deadName = (queue: QueueName) => `${prefix}${queue}.dead`;
  // One read of every queue; writes only for what is missing or changed (startup stays cheap).
  const existing = new Map((await boss.getQueues()).map((q) => [q.name, q as unknown as Record<string, unknown>]));
  for (const queue of QUEUE_NAMES) {
    const s = spec(queue);
    await ensureQueue(boss, existing, deadName(queue), { retryLimit: 0, retentionSeconds: 30 * 24 * 3600 });
    await ensureQueue(boss, existing, name(queue), {
      retryLimit: s.retryLimit,
      retryDelay: s.retryDelay,
      retryBackoff: true,
      retryDelayMax: s.retryDelayMax,
      expireInSeconds: s.expireInSeconds,
      deadLetter: deadName(queue),
      // Inserting a job NOTIFYs in the same transaction: a worker in any process wakes on commit.
      notify: true,
    });
  }
  let stopped = false;
  return {
    boss,
    prefix,
    name,
    deadName,
    spec,
    allNames: () => QUEUE_NAMES.flatMap((q) => [name(q), deadName(q)]),
    parse(fullName) {
      if (!fullName.startsWith(prefix)) return undefined;
      const rest = fullName.slice(prefix.length);
      const dead = rest.endsWith('.dead');
      const queue = (dead ? rest.slice(0, -'.dead'.length) : rest) as QueueName;
      return QUEUE_NAMES.includes(queue) ? { queue, dead } : undefined;
    },
    send: (queue, data, sendOptions = {}) => boss.send(name(queue), data, sendOptions),
    async stop(timeoutMs = 30_000) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, timeout: timeoutMs, close: true });
    },
  };
}

type QueueSettings = {
  retryLimit: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  retryDelayMax?: number;
  expireInSeconds?: number;
  retentionSeconds?: number;
  deadLetter?: string;
  notify?: boolean;
};

async function ensureQueue(boss: PgBoss, existing: Map<string, Record<string, unknown>>, name: string, options: QueueSettings): Promise<void> {
  const found = existing.get(name);
  if (!found) {
    await boss.createQueue(name, options);
    return;
  }
  const { deadLetter: _d, notify: _n, ...changeable } = options;
  const changed = Object.entries(changeable).some(([key, value]) => found[key] !== value);
  if (changed) await boss.updateQueue(name, changeable);
}
