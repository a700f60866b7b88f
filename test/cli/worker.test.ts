// `edify worker` as a real process: a full worker registers the cron schedules; a worker for
// chosen queues (`--queue`) works only those and schedules nothing.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { edify, spawnEdify } from '../helpers/cli.ts';
import { openTestJobs, TEST_JOB_PREFIX } from '../helpers/jobs.ts';

async function scheduledUnder(prefix: string): Promise<string[]> {
  const jobs = await openTestJobs();
  return (await jobs.boss.getSchedules())
    .map((s) => s.name)
    .filter((name) => name.startsWith(prefix))
    .sort();
}

async function runUntilReady(t: import('ava').ExecutionContext, args: string[], prefix: string, env: Record<string, string> = {}) {
  const worker = spawnEdify(['worker', ...args], { EDIFY_JOB_PREFIX: prefix, LOG_LEVEL: 'silent', ...env });
  t.teardown(async () => {
    // A schedule left behind would be sent every five minutes to a queue nobody works.
    const jobs = await openTestJobs();
    for (const name of await scheduledUnder(prefix)) await jobs.boss.unschedule(name);
  });
  const said = await worker.waitFor((out) => /Worker running.*Press Ctrl-C/.exec(out)?.[0]);
  worker.child.kill('SIGTERM');
  t.is(await worker.exited, 0, worker.output());
  return said;
}

test('a full worker registers the schedules (tick, and backup when BACKUP_SCHEDULE is set)', async (t) => {
  const prefix = `${TEST_JOB_PREFIX}full${randomBytes(3).toString('hex')}.`;
  t.is(await runUntilReady(t, [], prefix, { BACKUP_SCHEDULE: '30 2 * * *' }), 'Worker running. Press Ctrl-C');
  t.deepEqual(await scheduledUnder(prefix), [`${prefix}backup`, `${prefix}tick`]);
});

test('edify worker --queue email works only email and registers no schedule', async (t) => {
  const prefix = `${TEST_JOB_PREFIX}mail${randomBytes(3).toString('hex')}.`;
  t.is(await runUntilReady(t, ['--queue', 'email'], prefix), 'Worker running (queues: email). Press Ctrl-C');
  t.deepEqual(await scheduledUnder(prefix), []);
});

test('edify worker --queue refuses a queue that does not exist, naming the ones that do', async (t) => {
  const result = await edify(['worker', '--queue', 'emails']);
  t.not(result.code, 0);
  t.regex(result.stderr, /Expected --queue=emails to be one of: email, notice-published/);
});
