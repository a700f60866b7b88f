// Jobs and the worker across PostgreSQL restarts (docs/operations.md, Faults; Metrics and logs):
// committed jobs survive a restart and are each delivered once by a worker started afterwards; a
// worker running through a restart picks up new work without being restarted; /readyz reports
// the worker through its heartbeat and, with READY_REQUIRES_WORKER, is not ready while none is
// heard from. A private cluster is stopped and started; the machine's shared one is never touched.
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import test from 'ava';
import { pino } from 'pino';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import type { Databases } from '../../api/db/connection.ts';
import { openJobs } from '../../api/jobs/jobs.ts';
import { startWorker } from '../../api/jobs/worker.ts';
import type { Mailer, MailMessage } from '../../api/mail/mailer.ts';
import { testEnv } from '../helpers/env.ts';
import { startApp } from '../helpers/http.ts';
import { TEST_JOB_PREFIX } from '../helpers/jobs.ts';
import { until } from '../helpers/load.ts';
import { startPrivatePostgres } from '../helpers/services.ts';

/** A logger whose lines can be awaited. */
function watchedLog() {
  const events = new EventEmitter();
  const lines: { msg?: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const parsed = JSON.parse(line) as { msg?: string };
        lines.push(parsed);
        events.emit('line', parsed);
      }
      callback();
    },
  });
  const seen = (msg: string) => lines.some((l) => l.msg === msg);
  return {
    log: pino({ level: 'info' }, stream),
    seen,
    /** Resolves once a line with this message has been logged after `after` lines. */
    next: (msg: string, after: number) =>
      lines.slice(after).some((l) => l.msg === msg)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const listener = (line: { msg?: string }) => {
              if (line.msg !== msg) return;
              events.off('line', listener);
              resolve();
            };
            events.on('line', listener);
          }),
    count: () => lines.length,
  };
}

test('committed jobs survive a PostgreSQL restart, a running worker carries on after one, and /readyz follows the worker heartbeat', async (t) => {
  const pg = await startPrivatePostgres();
  const { config } = testEnv();
  const box = createSecretBox(parseEncryptionKeys(config.encryptionKeys));
  // The app's queue prefix (its deps.jobs) is this file's: /readyz looks for workers of that prefix.
  const jobs = await openJobs({ ownerUrl: pg.ownerUrl, prefix: TEST_JOB_PREFIX, supervise: true, onError: () => {} });
  t.teardown(() => jobs.stop(1_000));
  const delivered: string[] = [];
  const deliveries = new EventEmitter();
  const mailer: Mailer = {
    send: async (message: MailMessage) => {
      delivered.push(message.to);
      deliveries.emit('sent');
      return { to: message.to, subject: '', text: '', html: '', messageId: message.messageId };
    },
  };
  const deliveredAll = async (count: number) => {
    while (delivered.length < count) await once(deliveries, 'sent');
  };
  const send = (to: string) =>
    jobs.send('email', { tenant_id: null, to, template: 'verify-email', sealed: box.seal(JSON.stringify({ first_name: 'A', verify_url: 'x' })) });

  const app = await startApp({ observability: { ...config.observability, readyRequiresWorker: true } }, { appPool: pg.app, worker: false });
  const ready = () => app.request(null, 'GET', '/readyz');
  // Configured to require a worker, and none has ever beaten.
  const none = await ready();
  t.is(none.status, 503);
  t.like(none.body, { status: 'not_ready', database: 'ok', worker: { status: 'none', workers: 0, required: true } });

  // Jobs committed while no worker runs, then a restart.
  for (let i = 0; i < 5; i++) t.truthy(await send(`before-${i}@example.org`));
  await pg.stop();
  await pg.start();

  const watched = watchedLog();
  const dbs: Databases = { owner: pg.owner, app: pg.app, ownerUrl: pg.ownerUrl, appUrl: pg.appUrl, close: async () => {} };
  const workerConfig = { ...config, observability: { ...config.observability, workerHeartbeatMs: 100 } };
  const worker = await startWorker(
    { config: workerConfig, dbs, log: watched.log, mailer, secretBox: box, clock: () => new Date(), jobs },
    { schedules: false },
  );
  let stopped = false;
  t.teardown(() => (stopped ? undefined : worker.stop(1_000)));
  await deliveredAll(5);
  // The first beat may have met a connection the restart broke: then the next one succeeds.
  if (watched.seen('worker heartbeat could not be recorded')) await watched.next('worker heartbeat recorded again', 0);
  const up = await until(50, ready, (res) => res.status === 200);
  t.like(up.body, { status: 'ready', worker: { status: 'ok', workers: 1, required: true } });

  // A restart under the running worker: /readyz says the database is away, then the worker
  // beats again and runs jobs sent after the restart, with no restart of its own.
  const mark = watched.count();
  await pg.stop();
  const away = await until(50, ready, (res) => res.status === 503);
  t.like(away.body, { database: 'unreachable', worker: { status: 'unknown' } });
  await pg.start();
  await watched.next('worker heartbeat recorded again', mark);
  for (let i = 0; i < 3; i++) {
    // The first send after the restart may meet a broken pooled connection: send again.
    let id: string | null = null;
    for (let attempt = 0; attempt < 5 && !id; attempt++) id = await send(`after-${i}@example.org`).catch(() => null);
    t.truthy(id, `job after-${i} was sent`);
  }
  await deliveredAll(8);
  t.deepEqual(
    [...delivered].sort(),
    [...Array.from({ length: 5 }, (_, i) => `before-${i}@example.org`), ...Array.from({ length: 3 }, (_, i) => `after-${i}@example.org`)].sort(),
    'every job delivered exactly once',
  );
  t.like((await until(50, ready, (res) => res.status === 200)).body, { worker: { status: 'ok' } });

  // A worker that stops takes its heartbeat with it: no worker, not ready.
  stopped = true;
  await worker.stop(1_000);
  const gone = await ready();
  t.is(gone.status, 503);
  t.like(gone.body, { database: 'ok', worker: { status: 'none' } });
  // One killed without stopping leaves a beat that only ages: stale, not ready.
  await pg.owner.raw(
    `insert into worker_heartbeats (worker_id, prefix, hostname, pid, started_at, beat_at)
     values ('killed', ?, 'h', 1, now() - interval '2 hours', now() - interval '1 hour')`,
    [TEST_JOB_PREFIX],
  );
  const stale = await ready();
  t.is(stale.status, 503);
  t.like(stale.body, { worker: { status: 'stale', workers: 0 } });
  t.true(stale.body.worker.last_seen_seconds >= 3_599);
});
