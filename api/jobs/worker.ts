// The worker: runs the handlers of every queue (api/jobs/jobs.ts). `edify worker` runs one;
// `edify serve` runs one in-process unless told --no-worker.
//
// A handler that touches a school's data runs inside that school's tenant session (withTenant on
// the app pool, as a system actor), so row-level security applies exactly as for a request. A
// job for a school that is suspended or no longer exists is dropped with a log line (completed,
// not retried). Slow I/O (SMTP) never runs inside a transaction.
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { withTenant } from '../../tenants/session.ts';
import { runGuards } from '../access/guards.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import { scheduledBackups } from '../backup/schedule.ts';
import { type Config, schoolUrl } from '../config.ts';
import { certificateJob } from '../courses/certificate-job.ts';
import { courseCopyJob } from '../courses/copy-job.ts';
import type { Databases } from '../db/connection.ts';
import { AppError } from '../errors.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Mailer } from '../mail/mailer.ts';
import { noticeJob, notifyJob } from '../notifications/jobs.ts';
import { mailSchool } from '../school/service.ts';
import { createScope, runAfterCommit, type Scope } from '../scope.ts';
import { findSchoolJob } from '../signup/find-school.ts';
import { startHeartbeat } from './heartbeat.ts';
import { type Jobs, type QueueName, SCHEDULES } from './jobs.ts';
import type { EmailJob } from './outbox.ts';
import { schoolTick, tick } from './timed.ts';

export type WorkerDeps = {
  config: Config;
  dbs: Databases;
  log: Logger;
  mailer: Mailer;
  secretBox: SecretBox;
  clock: () => Date;
  jobs: Jobs;
  /** Counts failed job attempts for /metrics (api/http/metrics.ts). */
  metrics?: Pick<Metrics, 'jobFailed'>;
};

type Handler = (deps: WorkerDeps, job: Job<Record<string, unknown>>) => Promise<unknown>;

const HANDLERS: Record<QueueName, Handler> = {
  email: sendEmailJob,
  'notice-published': (deps, job) => noticeJob(deps, job.data as { tenant_id: string; notice_id: string }),
  notify: (deps, job) => notifyJob(deps, job.data as { tenant_id: string }),
  tick: (deps) => tick(deps),
  'school-tick': (deps, job) => schoolTick(deps, job.data as { tenant_id: string; at: string }),
  backup: (deps) => scheduledBackups(deps),
  'certificate-render': (deps, job) => certificateJob(deps, job.data as { tenant_id: string; certificate_id: string }),
  'course-copy': (deps, job) => courseCopyJob(deps, job.data as { tenant_id: string; copy_id: string }),
  'find-school': (deps, job) => findSchoolJob(deps, job),
};

export type Worker = { stop(timeoutMs?: number): Promise<void> };

/** Starts a handler per queue (or only for `queues`); stop() lets running jobs finish (up to
 * timeoutMs) and closes jobs. A worker for chosen queues registers no cron schedules: a full
 * worker, which also runs `tick`, does that. */
export async function startWorker(deps: WorkerDeps, options: { schedules?: boolean; queues?: readonly QueueName[] } = {}): Promise<Worker> {
  const { jobs, log } = deps;
  for (const queue of options.queues ?? (Object.keys(HANDLERS) as QueueName[])) {
    const handler = HANDLERS[queue];
    await jobs.boss.work(jobs.name(queue), { localConcurrency: jobs.spec(queue).concurrency, batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
      if (!job) return;
      try {
        return await handler(deps, job as Job<Record<string, unknown>>);
      } catch (error) {
        // No job data in the log: it may hold addresses or (sealed) links.
        log.warn({ queue, job_id: job.id, err: error }, 'job failed; pg-boss retries it with backoff');
        deps.metrics?.jobFailed(queue);
        throw error;
      }
    });
  }
  if (options.schedules ?? !options.queues) await registerSchedules(jobs.boss, jobs, deps.config.backup.schedule);
  // On the owner pool, like pg-boss: /readyz reads it (api/http/health.ts).
  const heartbeat = await startHeartbeat(deps.dbs.owner, { prefix: jobs.prefix, intervalMs: deps.config.observability.workerHeartbeatMs, log });
  return {
    stop: async (timeoutMs) => {
      await heartbeat.stop();
      await jobs.stop(timeoutMs);
    },
  };
}

async function registerSchedules(boss: PgBoss, jobs: Jobs, backupCron: string | undefined): Promise<void> {
  for (const schedule of SCHEDULES) await boss.schedule(jobs.name(schedule.queue), schedule.cron, {}, { tz: 'UTC' });
  // Nightly backups only where configured (BACKUP_SCHEDULE); unset, a schedule left from before is removed.
  if (backupCron) await boss.schedule(jobs.name('backup'), backupCron, {}, { tz: 'UTC' });
  else await boss.unschedule(jobs.name('backup'));
}

/** What each job does to a school, for the guards (api/access/guards.ts). A job not listed here
 * is taken to write and is refused in a school that is read-only for billing. */
const JOB_WORK: { label: RegExp; writes: boolean; allowReadOnly?: boolean; why: string }[] = [
  { label: /^email$/, writes: false, why: 'reads the school’s name and colour for the email' },
  { label: /^school-tick:/, writes: true, allowReadOnly: true, why: 'upkeep: the billing clock, expired attempts, pruning, what was scheduled before' },
  { label: /^notice-published$/, writes: true, allowReadOnly: true, why: 'delivers a notice already published' },
  { label: /^notify$/, writes: true, allowReadOnly: true, why: 'tells people about work already published or returned' },
  { label: /^certificate-render$/, writes: true, allowReadOnly: true, why: 'a certificate already earned is owed' },
  { label: /^course-copy$/, writes: true, allowReadOnly: true, why: 'a copy the teacher was told has started' },
];

export function jobWork(label: string): { writes: boolean; allowReadOnly?: boolean } {
  const known = JOB_WORK.find((w) => w.label.test(label));
  return known ? { writes: known.writes, allowReadOnly: known.allowReadOnly } : { writes: true };
}

/** Runs fn inside the school's tenant session as a system actor, after the guards; undefined (and
 * a log line) when the school is suspended or gone, so the job completes instead of retrying forever. */
export async function inSchool<T>(
  deps: Pick<WorkerDeps, 'dbs' | 'log' | 'jobs' | 'secretBox' | 'clock' | 'config'>,
  tenantId: string,
  label: string,
  fn: (scope: Scope) => Promise<T>,
): Promise<T | undefined> {
  let entered = false;
  const tasks: (() => Promise<void>)[] = [];
  try {
    const result = await withTenant(deps.dbs.app, { id: tenantId }, async (db, tenant) => {
      entered = true;
      const actor = { type: 'system' as const, label };
      const scope = createScope({ db, tenant, actor, afterCommit: tasks, clock: deps.clock, outbox: { jobs: deps.jobs, box: deps.secretBox } });
      runGuards({ scope, entry: 'job', ...jobWork(label), billingGraceDays: deps.config.billingGraceDays });
      return fn(scope);
    });
    await runAfterCommit(tasks, (error) => deps.log.error({ err: error, job: label }, 'after-commit task failed'));
    return result;
  } catch (error) {
    if (!entered && error instanceof AppError && (error.code === 'tenant-suspended' || error.code === 'not-found')) {
      deps.log.info({ job: label, tenant_id: tenantId, reason: error.code === 'not-found' ? 'school deleted' : 'school suspended' }, 'job dropped');
      return undefined;
    }
    throw error;
  }
}

async function sendEmailJob(deps: WorkerDeps, job: Job<Record<string, unknown>>): Promise<void> {
  const data = job.data as unknown as EmailJob;
  let school: ReturnType<typeof mailSchool> | undefined;
  if (data.tenant_id) {
    // Read in its own short session, closed before SMTP starts.
    school = await inSchool(deps, data.tenant_id, 'email', async (scope) => mailSchool(scope, deps.config));
    if (!school) return;
  }
  const templateData = JSON.parse(deps.secretBox.open(data.sealed)) as Record<string, unknown>;
  await deps.mailer.send({
    to: data.to,
    template: data.template,
    data: templateData,
    ...(school ? { school } : {}),
    // The job id as Message-ID: a receiver can tell a retried delivery from a new message.
    messageId: `<${job.id}@jobs.edify>`,
    ...(data.preferences && school ? { preferencesUrl: `${schoolUrl(deps.config, school.slug)}/settings/notifications` } : {}),
  });
}
