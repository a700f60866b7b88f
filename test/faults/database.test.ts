// A lost database under load (docs/operations.md, Faults): requests answer 503
// database-unavailable with Retry-After (never 500), /readyz turns not ready, and service comes
// back on its own when the database does. A private cluster is stopped and started again; the
// machine's shared PostgreSQL is never touched.
import test from 'ava';
import { connect } from '../../api/db/connection.ts';
import { READY_DEADLINE_MS } from '../../api/http/health.ts';
import { createTenant } from '../../api/platform/provision.ts';
import { testEnv } from '../helpers/env.ts';
import { PASSWORD, uniqueSlug } from '../helpers/factories.ts';
import { type Response, startApp } from '../helpers/http.ts';
import { startLoad, until } from '../helpers/load.ts';
import { startPrivatePostgres } from '../helpers/services.ts';

const UNAVAILABLE = 'https://edify.app/problems/database-unavailable';

function assertDatabaseUnavailable(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void }, res: Response) {
  t.is(res.status, 503, res.text.slice(0, 200));
  t.is(res.body.type, UNAVAILABLE);
  t.true(String(res.headers['content-type']).startsWith('application/problem+json'));
  t.true(Number(res.headers['retry-after']) > 0, `Retry-After: ${res.headers['retry-after']}`);
}

test('PostgreSQL stopped and started under load: 503 database-unavailable with Retry-After while it is away, /readyz not ready, then service resumes by itself', async (t) => {
  // A pool smaller than the load, as in production.
  const pg = await startPrivatePostgres({ appPoolMax: 3 });
  const slug = uniqueSlug('fault');
  await createTenant(pg.owner, { slug, name: 'Fault Primary', admin: { email: `admin@${slug}.test`, password: PASSWORD } }, { label: 'test' });
  const app = await startApp({}, { appPool: pg.app });
  // A public tenant route: one tenant session (a transaction) per request.
  const read = () => app.request(slug, 'GET', '/theme.css');
  const ready = () => app.request(null, 'GET', '/readyz');
  t.is((await read()).status, 200);
  t.is((await ready()).status, 200);

  const load = startLoad(6, read);
  t.teardown(() =>
    load.stop().then(
      () => undefined,
      () => undefined,
    ),
  );
  await until(100, read, (res) => res.status === 200);
  await pg.stop();

  // Away: /readyz says so, and every request is refused with the problem and Retry-After.
  const notReady = await until(50, ready, (res) => res.status === 503);
  t.is(notReady.body.status, 'not_ready');
  t.is(notReady.body.database, 'unreachable');
  t.deepEqual(notReady.body.migrations.pending, [], 'the migrations last seen applied are not reported pending');
  for (let i = 0; i < 20; i++) assertDatabaseUnavailable(t, await read());
  // A write on the way in is refused the same way (no 500 from the login's session either).
  const login = await app.request(slug, 'POST', '/api/v1/auth/login', { body: { email: `admin@${slug}.test`, password: PASSWORD } });
  assertDatabaseUnavailable(t, login);

  await pg.start();
  // Back: readiness returns and requests succeed, with no restart of the app.
  const back = await until(50, ready, (res) => res.status === 200);
  t.like(back.body, { status: 'ready', database: 'ok', migrations: { pending: [] } });
  await until(50, read, (res) => res.status === 200);
  const answers = await load.stop();
  t.is((await app.request(slug, 'POST', '/api/v1/auth/login', { body: { email: `admin@${slug}.test`, password: PASSWORD } })).status, 200);

  // Under load, through the stop, the outage and the start: only 200s and the 503 problem.
  const statuses = new Set(answers.map((res) => res.status));
  t.deepEqual(
    [...statuses].sort(),
    [200, 503],
    `statuses seen: ${[...statuses].join(', ')}; a 500: ${answers.find((res) => res.status === 500)?.text.slice(0, 300)}`,
  );
  for (const res of answers.filter((r) => r.status === 503)) assertDatabaseUnavailable(t, res);
});

test('/readyz on a busy database answers within its own deadline, without cancelling anything, and does not call it unreachable', async (t) => {
  const { config } = testEnv();
  // One connection, and a wait for it longer than /readyz's deadline.
  const pool = connect(config.appDatabaseUrl as string, 1, { acquireTimeoutMs: READY_DEADLINE_MS * 5 });
  t.teardown(() => pool.destroy());
  const app = await startApp({}, { appPool: pool });
  t.is((await app.request(null, 'GET', '/readyz')).status, 200);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const holding = pool.transaction(async () => {
    started();
    await held;
  });
  await Promise.race([running, holding]);
  try {
    const busy = await app.request(null, 'GET', '/readyz');
    // Up a moment ago with every migration applied: busy is still ready, and says why it did not look.
    t.is(busy.status, 200);
    t.like(busy.body, { status: 'ready', database: 'busy', migrations: { pending: [] }, worker: { status: 'unknown' } });
  } finally {
    release();
    await holding;
  }
  t.is((await app.request(null, 'GET', '/readyz')).body.database, 'ok');
});
