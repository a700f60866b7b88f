// Behind pgbouncer in transaction mode (docs/deployment.md, Scale-out), a request's wait stays
// bounded and the overload answer (503 unavailable + Retry-After) still fires, though waiting for a
// connection moves from the app's pool into pgbouncer's queue: pgbouncer's query_wait_timeout
// bounds that queue, and every tenant session carries statement_timeout and lock_timeout set by
// its tenant statement (tenants/session.ts). /readyz calls a busy pgbouncer busy, not unreachable.
// A private pgbouncer (test/helpers/pgbouncer.ts) with ONE server connection sits in front of the
// test database server; the app pool (4) is larger than pgbouncer's, as in production.
import test from 'ava';
import type { Knex } from 'knex';
import pg from 'pg';
import { connect } from '../../api/db/connection.ts';
import { fromDatabaseError } from '../../api/errors.ts';
import { withPlatform, withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createSchool } from '../helpers/factories.ts';
import { type Response, startApp } from '../helpers/http.ts';
import { type Pgbouncer, startPgbouncer } from '../helpers/pgbouncer.ts';

const LIMITS = { statementTimeoutMs: 5_000, lockTimeoutMs: 300 };
// The app role straight to the server (under EDIFY_TEST_PGBOUNCER the run's own URL is already a pgbouncer's).
const directAppUrl = () => process.env.EDIFY_TEST_APP_DIRECT_URL ?? (testEnv().config.appDatabaseUrl as string);

let bouncer: Pgbouncer | undefined;
let pool: Knex | undefined;
test.after.always(async () => {
  await pool?.destroy();
  await bouncer?.stop();
});

async function behindPgbouncer(): Promise<{ bouncer: Pgbouncer; pool: Knex; url: string }> {
  if (!bouncer || !pool) {
    const app = new URL(directAppUrl());
    bouncer = await startPgbouncer({
      serverUrl: app.toString(),
      users: [{ name: decodeURIComponent(app.username), password: decodeURIComponent(app.password) }],
      poolSize: 1,
      queryWaitTimeoutSeconds: 1,
    });
    pool = connect(bouncer.via(app.toString()), 4, { sessionLimits: LIMITS });
  }
  return { bouncer, pool, url: bouncer.via(directAppUrl()) };
}

/** Takes pgbouncer's one server connection: a client inside a transaction keeps it (transaction mode). */
async function holdServerConnection(url: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin; select 1');
  return async () => {
    await client.query('commit');
    await client.end();
  };
}

function assertOverload(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void }, res: Response) {
  t.is(res.status, 503, res.text.slice(0, 300));
  t.is(res.body.type, 'https://edify.app/problems/unavailable');
  t.true(Number(res.headers['retry-after']) > 0, `Retry-After: ${res.headers['retry-after']}`);
}

test.serial('the tenant statement sets both limits for its transaction only, through pgbouncer', async (t) => {
  const { pool } = await behindPgbouncer();
  const school = await createSchool();
  const inside = await withTenant(pool, { id: school.tenant.id }, async (db) => {
    const { rows } = await db.raw(`select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock`);
    return rows[0];
  });
  t.deepEqual(inside, { statement: '5s', lock: '300ms' });
  // The same server connection, next transaction, no limits asked for: the role's defaults again.
  const after = await withTenant(pool, { id: school.tenant.id }, async (db) => (await db.raw(`select current_setting('lock_timeout') as lock`)).rows[0].lock, {
    limits: false,
  });
  t.is(after, '0', 'transaction-local: nothing leaks to the next user of the server connection');
});

test.serial('a statement past statement_timeout is the overload answer, and the server connection is clean afterwards', async (t) => {
  const { pool } = await behindPgbouncer();
  const school = await createSchool();
  const error = await t.throwsAsync(
    withTenant(pool, { id: school.tenant.id }, (db) => db.raw('select pg_sleep(3)'), { limits: { statementTimeoutMs: 100, lockTimeoutMs: 100 } }),
  );
  t.is((error as { code?: string }).code, '57014');
  t.is(fromDatabaseError(error)?.code, 'unavailable');
  t.deepEqual(await withTenant(pool, { id: school.tenant.id }, async (_db, tenant) => tenant.id), school.tenant.id);
});

test.serial(
  'pgbouncer queue full: requests get 503 unavailable with Retry-After after query_wait_timeout, /readyz says busy (not unreachable), and service resumes',
  async (t) => {
    const { pool, url } = await behindPgbouncer();
    const school = await createSchool();
    const app = await startApp({}, { appPool: pool, worker: false });
    const theme = () => app.request(school.slug, 'GET', '/theme.css');
    t.is((await theme()).status, 200);
    const before = await app.request(null, 'GET', '/readyz');
    t.is(before.body.database, 'ok', before.text);

    const release = await holdServerConnection(url);
    try {
      // The app's pool has free connections (to pgbouncer): the wait is in pgbouncer's queue.
      assertOverload(t, await theme());
      assertOverload(t, await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token }));
      const busy = await app.request(null, 'GET', '/readyz');
      t.is(busy.body.database, 'busy', busy.text);
      t.deepEqual(busy.body.migrations.pending, [], 'busy does not make every migration look pending');
    } finally {
      await release();
    }
    t.is((await theme()).status, 200);
    t.is((await app.request(null, 'GET', '/readyz')).body.database, 'ok');
  },
);

test.serial('a row held by someone else: the write waits lock_timeout, then 503 unavailable with Retry-After; it succeeds once the row is free', async (t) => {
  const { pool } = await behindPgbouncer();
  const school = await createSchool();
  const created = await createClassIn(school, {}, 'Held');
  const app = await startApp({}, { appPool: pool, worker: false });
  const rename = (name: string) => app.request(school.slug, 'PATCH', `/api/v1/classes/${created.id}`, { token: school.admin.token, body: { name } });

  let unlock: () => void = () => undefined;
  let locked: () => void = () => undefined;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  // An operator's transaction (directly on the server, owner pool) holds the class row.
  const holder = withPlatform(testEnv().dbs.owner, async (db) => {
    await db.raw('select 1 from classes where tenant_id = ? and id = ? for update', [school.tenant.id, created.id]);
    locked();
    await new Promise<void>((resolve) => {
      unlock = resolve;
    });
  });
  await isLocked;
  try {
    assertOverload(t, await rename('Renamed while held'));
  } finally {
    unlock();
    await holder;
  }
  const done = await rename('Renamed');
  t.is(done.status, 200, done.text);
  t.is(done.body.name, 'Renamed');
});
