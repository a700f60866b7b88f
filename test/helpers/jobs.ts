// The job queue in tests. Each test file gets its own queue prefix, so a worker in one test
// file never runs (or sends the email of) another file's jobs, though they share a database.
// No test worker registers the cron schedules (`schedules: false`, `edify worker --queue`): a
// `tick` sweeps every school in the database, and would send other files' schools' email.
import { threadId } from 'node:worker_threads';
import type { Knex } from 'knex';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import { connect } from '../../api/db/connection.ts';
import { createLogger } from '../../api/http/logger.ts';
import { type Jobs, type JobsOptions, openJobs } from '../../api/jobs/jobs.ts';
import type { Outbox } from '../../api/jobs/outbox.ts';
import { startWorker, type Worker, type WorkerDeps } from '../../api/jobs/worker.ts';
import type { Mailer } from '../../api/mail/mailer.ts';
import { closeEventHubs } from '../../api/notifications/events.ts';
import { testEnv } from './env.ts';
import { atTeardown } from './teardown.ts';

// AVA runs test files in worker threads of one process: the thread id keeps files apart too.
export const TEST_JOB_PREFIX = `t${process.pid}.${threadId}.`;

const opened: Jobs[] = [];
const pools: Knex[] = [];
let shared: Promise<Jobs> | undefined;
let worker: Promise<Worker> | undefined;

atTeardown('jobs and event hubs', async () => {
  await closeEventHubs();
  await Promise.all(opened.map((j) => j.stop(5_000)));
  await Promise.all(pools.map((p) => p.destroy()));
});

/** Opens a Jobs of its own (a test that needs other retry settings or its own prefix). */
export async function openTestJobs(options: Partial<JobsOptions> = {}): Promise<Jobs> {
  const { dbs } = testEnv();
  const jobs = await openJobs({
    ownerUrl: dbs.ownerUrl,
    prefix: TEST_JOB_PREFIX,
    max: 4,
    onError: (e) => process.env.TEST_LOG_LEVEL && console.error(e),
    ...options,
  });
  opened.push(jobs);
  return jobs;
}

/** This process's job queue (producer). */
export function testJobs(): Promise<Jobs> {
  shared ??= openTestJobs({ supervise: true });
  return shared;
}

export async function testOutbox(): Promise<Outbox> {
  const { config } = testEnv();
  return { jobs: await testJobs(), box: createSecretBox(parseEncryptionKeys(config.encryptionKeys)) };
}

export function workerDeps(jobs: Jobs, mailer: Mailer, overrides: Partial<WorkerDeps> = {}): WorkerDeps {
  const { config, dbs } = testEnv();
  return {
    config,
    dbs,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    mailer,
    secretBox: createSecretBox(parseEncryptionKeys(config.encryptionKeys)),
    clock: () => new Date(),
    jobs,
    ...overrides,
  };
}

/** One in-process worker per test process (started by the first test app): email written by the
 * app's mailer arrives as soon as the request's transaction commits (LISTEN/NOTIFY wakes it). */
export function ensureTestWorker(mailer: Mailer): Promise<Worker> {
  worker ??= testJobs().then((jobs) => {
    // Its own small pool, so the worker never waits behind (or starves) the test's requests.
    const { dbs } = testEnv();
    const app = connect(dbs.appUrl, 2);
    pools.push(app);
    return startWorker(workerDeps(jobs, mailer, { dbs: { ...dbs, app } }), { schedules: false });
  });
  return worker;
}

/** How many emails are queued for an address (by template): known as soon as the request that
 * queued them has answered, since they commit with it. Counting what will be sent, instead of
 * waiting a while to see that nothing more arrives. */
export async function queuedEmails(to: string, template?: string): Promise<number> {
  const { dbs } = testEnv();
  const row = await dbs
    .owner('pgboss.job')
    .where({ name: `${TEST_JOB_PREFIX}email` })
    .whereRaw("data->>'to' = ?", [to])
    .modify((q) => {
      if (template) q.whereRaw("data->>'template' = ?", [template]);
    })
    .count({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}
