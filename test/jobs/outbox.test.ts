// The transactional outbox and the email worker against real PostgreSQL and a real SMTP server.
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import test from 'ava';
import { fromKnex } from 'pg-boss';
import { SMTPServer } from 'smtp-server';
import { retryJobs } from '../../api/jobs/admin.ts';
import { JOB_SCHEMA, type Jobs } from '../../api/jobs/jobs.ts';
import { enqueueMail } from '../../api/jobs/outbox.ts';
import { startWorker } from '../../api/jobs/worker.ts';
import { createMailer, type Mailer } from '../../api/mail/mailer.ts';
import { withTenant } from '../../tenants/session.ts';
import { edify, spawnEdify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool } from '../helpers/factories.ts';
import { openTestJobs, TEST_JOB_PREFIX, testOutbox, workerDeps } from '../helpers/jobs.ts';

const FROM = 'Edify <no-reply@edify.test>';

type Received = { to: string[]; raw: string };

/** A real SMTP server; `hold` keeps the next message's DATA unanswered until released. */
async function smtpServer(t: { teardown: (fn: () => Promise<void>) => void }) {
  const received: Received[] = [];
  const events = new EventEmitter();
  let holdNext = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      const held = holdNext;
      holdNext = false;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (held) {
          // Never answered: the sender dies waiting (the message is not accepted).
          events.emit('held');
          return;
        }
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
        events.emit('accepted');
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as net.AddressInfo;
  return { port, received, events, hold: () => (holdNext = true) };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function jobsOf(jobs: Jobs, tenantId: string): Promise<{ id: string; name: string; state: string }[]> {
  const { rows } = await jobs.boss
    .getDb()
    .executeSql(`select id, name, state::text as state from ${JOB_SCHEMA}.job where data->>'tenant_id' = $1 order by created_on`, [tenantId]);
  return rows;
}

/** Resolves when check() returns a value: waits on the database, never for a fixed time. */
async function until<T>(check: () => Promise<T | undefined>, what: string, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a transaction that rolls back enqueues nothing; one that commits enqueues its email, inserted as edify_app', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const outbox = await testOutbox();
  const message = { to: 'kim@example.test', template: 'two-factor-changed' as const, data: { first_name: 'Kim', change: 'enabled' } };

  await t.throwsAsync(
    withTenant(dbs.app, { id: school.tenant.id }, async (db, tenant) => {
      await enqueueMail({ db, tenant, outbox }, message);
      t.is((await db.raw('select current_user as u')).rows[0].u, 'edify_app');
      throw new Error('the request failed after queueing');
    }),
    { message: /request failed/ },
  );
  t.deepEqual(await jobsOf(outbox.jobs, school.tenant.id), [], 'rolled back: nothing queued');

  const id = await withTenant(dbs.app, { id: school.tenant.id }, (db, tenant) => enqueueMail({ db, tenant, outbox }, message));
  const queued = await jobsOf(outbox.jobs, school.tenant.id);
  t.deepEqual(
    queued.map((j) => [j.id, j.name]),
    [[id, `${TEST_JOB_PREFIX}email`]],
  );
  // The link data is sealed: nothing readable in the job table.
  const { rows } = await outbox.jobs.boss.getDb().executeSql(`select data::text as d from ${JOB_SCHEMA}.job where id = $1`, [id]);
  t.false(rows[0].d.includes('Kim'));
});

test('the app role can add jobs but cannot read job data or change jobs', async (t) => {
  const { dbs } = testEnv();
  await t.throwsAsync(dbs.app.raw(`select data from ${JOB_SCHEMA}.job limit 1`), { message: /permission denied/ });
  await t.throwsAsync(dbs.app.raw(`update ${JOB_SCHEMA}.job set state = 'completed'`), { message: /permission denied/ });
  await t.throwsAsync(dbs.app.raw(`delete from ${JOB_SCHEMA}.job`), { message: /permission denied/ });
});

test('SMTP down: retries, then the dead-letter queue; jobs:retry delivers it once the relay is back', async (t) => {
  t.timeout(120_000);
  const prefix = `${TEST_JOB_PREFIX}dlq${randomBytes(3).toString('hex')}.`;
  const jobs = await openTestJobs({ prefix, supervise: true, queues: { email: { retryLimit: 1, retryDelay: 1, retryDelayMax: 1 } } });
  const school = await createSchool();
  const { dbs } = testEnv();
  const outbox = { ...(await testOutbox()), jobs };
  const id = await withTenant(dbs.app, { id: school.tenant.id }, (db, tenant) =>
    enqueueMail({ db, tenant, outbox }, { to: 'dana@example.test', template: 'two-factor-changed', data: { first_name: 'Dana', change: 'enabled' } }),
  );

  // The relay is down: nothing listens on its port.
  let attempts = 0;
  const down = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: FROM, mailDir: '/nonexistent', timeoutMs: 2_000 });
  let current: Mailer = down;
  const mailer: Mailer = {
    send: (message) => {
      attempts++;
      return current.send(message);
    },
  };
  const worker = await startWorker(workerDeps(jobs, mailer), { schedules: false });
  t.teardown(() => worker.stop(2_000));

  const dead = await until(
    async () => {
      const rows = await jobsOf(jobs, school.tenant.id);
      return rows.find((r) => r.name === `${prefix}email.dead`);
    },
    'the dead letter',
    80_000,
  ).catch(async (error) => {
    t.log(attempts, await jobsOf(jobs, school.tenant.id));
    throw error;
  });
  t.is(attempts, 2, 'the first try and one retry');
  t.is((await jobsOf(jobs, school.tenant.id)).find((r) => r.id === id)?.state, 'failed');

  // The relay comes back; the operator retries the dead letter.
  const smtp = await smtpServer(t);
  current = createMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: FROM, mailDir: '/nonexistent' });
  const accepted = once(smtp.events, 'accepted');
  const result = await retryJobs(jobs, { id: dead.id });
  t.is(result.retried.length, 1);
  await accepted;
  t.is(smtp.received.length, 1);
  t.deepEqual(smtp.received[0]?.to, ['dana@example.test']);
  t.regex(smtp.received[0]?.raw ?? '', /two-step sign-in was turned on/i);
  t.false(
    (await jobsOf(jobs, school.tenant.id)).some((r) => r.name.endsWith('.dead')),
    'the dead letter is gone',
  );
});

// The worker here runs only the email queue. A full worker would register the 5-minute `tick`
// schedule under this test's prefix, and a tick sweeps every school in the database: a school from
// another test file, billed meanwhile, once had its "Billing update" sent to this test's relay and
// read as a second delivery.
test('an email job survives a worker killed mid-send and is delivered once', async (t) => {
  t.timeout(120_000);
  const prefix = `${TEST_JOB_PREFIX}kill${randomBytes(3).toString('hex')}.`;
  const smtp = await smtpServer(t);
  const jobs = await openTestJobs({ prefix, supervise: true, superviseIntervalSeconds: 1 });
  const school = await createSchool();
  const { dbs } = testEnv();
  const outbox = { ...(await testOutbox()), jobs };
  // A short per-job timeout and retry delay for this one job, so the test does not wait minutes.
  const id = await withTenant(dbs.app, { id: school.tenant.id }, async (db, tenant) => {
    const sealed = outbox.box.seal(JSON.stringify({ first_name: 'Lee', change: 'disabled' }));
    return jobs.boss.send(
      jobs.name('email'),
      { tenant_id: tenant.id, to: 'lee@example.test', template: 'two-factor-changed', sealed },
      { db: fromKnex(db), expireInSeconds: 2, retryDelay: 1, retryBackoff: false },
    );
  });

  // A separate worker process takes the job; the relay holds its DATA unanswered; we kill it there.
  smtp.hold();
  const held = once(smtp.events, 'held');
  const child = spawnEdify(['worker', '--queue', 'email'], { EDIFY_JOB_PREFIX: prefix, SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, LOG_LEVEL: 'silent' });
  await held;
  child.child.kill('SIGKILL');
  await child.exited;
  t.is(smtp.received.length, 0, 'the killed send was never accepted');

  // The supervisor finds the killed attempt past its 2 s and puts the job up for retry. The retry
  // gets a long timeout: on a loaded machine the delivery itself could otherwise outlive 2 s, be
  // expired mid-send and go out twice (CI saw 3 deliveries), which is not what this test is about.
  await until(async () => ((await jobsOf(jobs, school.tenant.id)).find((r) => r.id === id)?.state === 'retry' ? true : undefined), 'the retry', 60_000);
  await jobs.boss.getDb().executeSql(`update ${JOB_SCHEMA}.job set expire_seconds = 120 where id = $1`, [id]);

  // Another worker takes the retry and delivers it.
  const accepted = once(smtp.events, 'accepted');
  const worker = await startWorker(workerDeps(jobs, createMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: FROM, mailDir: '/nonexistent' })), {
    queues: ['email'],
  });
  t.teardown(() => worker.stop(2_000));
  await accepted;
  await until(async () => ((await jobsOf(jobs, school.tenant.id)).find((r) => r.id === id)?.state === 'completed' ? true : undefined), 'completion');
  t.is(smtp.received.length, 1, 'delivered exactly once');
  t.deepEqual(smtp.received[0]?.to, ['lee@example.test']);
  t.regex(smtp.received[0]?.raw ?? '', new RegExp(`Message-ID: <${id}@jobs.edify>`, 'i'), 'the job id is the Message-ID, so a relay can drop a resend');
});

test('jobs:list, jobs:stats and jobs:retry answer with --json', async (t) => {
  t.timeout(120_000);
  const env = { EDIFY_JOB_PREFIX: TEST_JOB_PREFIX };
  const stats = await edify(['jobs:stats', '--json'], { env });
  t.is(stats.code, 0, stats.stderr);
  t.true(stats.json.queues.some((q: { queue: string }) => q.queue === `${TEST_JOB_PREFIX}email`));
  t.true(stats.json.schedules.some((s: { queue: string }) => s.queue === `${TEST_JOB_PREFIX}tick`));
  const list = await edify(['jobs:list', '--failed', '--json'], { env });
  t.is(list.code, 0, list.stderr);
  t.true(Array.isArray(list.json.jobs));
  const retry = await edify(['jobs:retry', '--json'], { env });
  t.not(retry.code, 0, 'an id or --all-failed is required');
});
