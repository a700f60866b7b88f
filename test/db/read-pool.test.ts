// READ_DATABASE_URL against a real streaming standby (test/helpers/standby.ts: pg_basebackup -R of
// the test database's server, started on its own port, removed afterwards): heavy reads (search,
// the dashboard, the gradebook export) come from the standby, and row-level security holds there
// exactly as on the primary. Skipped, with the reason, where no standby can be made (the embedded
// PostgreSQL 18 has no pg_basebackup); .ci/run's system-postgres run makes one.
import test from 'ava';
import type { Knex } from 'knex';
import { connect } from '../../api/db/connection.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { type Standby, standbyUnavailable, startStandby } from '../helpers/standby.ts';

const pools: Knex[] = [];
test.after.always(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

test.serial('heavy reads come from the standby, and another school’s rows are invisible there', async (t) => {
  const { dbs, config } = testEnv();
  const why = await standbyUnavailable(dbs.owner);
  if (why) {
    t.log(`skipped: ${why}`);
    t.pass();
    return;
  }
  const a = await createSchool({ name: 'Alder School' });
  const b = await createSchool({ name: 'Birch School' });
  await createClassIn(a, {}, 'Volcanoes of Alder');
  await createClassIn(b, {}, 'Volcanoes of Birch');

  const standby: Standby = await startStandby(dbs.owner, dbs.ownerUrl);
  const read = connect(standby.via(dbs.appUrl), 3, { sessionLimits: config.sessionLimits });
  // The owner (a superuser) on the standby, to pause and resume its replay.
  const standbyOwner = connect(standby.via(dbs.ownerUrl), 1);
  pools.push(read, standbyOwner);

  // Directly: a read-only tenant session on the standby sees its own school only.
  const seen = await withTenant(
    read,
    { id: a.tenant.id },
    async (db) => ({
      standby: (await db.raw('select pg_is_in_recovery() as r')).rows[0].r,
      names: await db('classes').orderBy('name').pluck('name'),
      other: await db('classes').where({ tenant_id: b.tenant.id }).pluck('name'),
      users: await db('users').whereNot({ tenant_id: a.tenant.id }).count<{ n: string }[]>('* as n'),
    }),
    { readOnly: true },
  );
  t.true(seen.standby, 'the read pool is connected to a server in recovery');
  t.deepEqual(seen.names, ['Volcanoes of Alder']);
  t.deepEqual(seen.other, [], 'RLS on the standby: school B’s class is invisible to school A’s session');
  t.is(Number(seen.users[0]?.n), 0);
  // With no school set, the app role sees nothing on the standby either.
  t.deepEqual(await read('classes').pluck('name'), []);

  // Through the API: the search reads the standby. Replay paused, a class created on the primary
  // is not found; replay resumed, it is.
  const app = await startApp({}, { readPool: read, worker: false });
  const search = (q: string) => app.request(a.slug, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token: a.admin.token });
  const titles = async (q: string) => {
    const res = await search(q);
    t.is(res.status, 200, res.text.slice(0, 300));
    return (res.body.data as { title: string }[]).map((hit) => hit.title).sort();
  };
  t.deepEqual(await titles('volcanoes'), ['Volcanoes of Alder'], 'school B’s matching class is not found from school A');

  await standbyOwner.raw('select pg_wal_replay_pause()');
  try {
    await createClassIn(a, {}, 'Volcanoes after the pause');
    t.deepEqual(await titles('volcanoes'), ['Volcanoes of Alder'], 'the search did not read the primary');
  } finally {
    await standbyOwner.raw('select pg_wal_replay_resume()');
  }
  await standby.caughtUp();
  t.deepEqual(await titles('volcanoes'), ['Volcanoes after the pause', 'Volcanoes of Alder']);

  // The dashboard and the gradebook export answer from the standby too.
  t.is((await app.request(a.slug, 'GET', '/api/v1/me/dashboard', { token: a.admin.token })).status, 200);
  const [klass] = await withTenant(dbs.app, { id: a.tenant.id }, (db) => db('classes').where({ name: 'Volcanoes of Alder' }).pluck('id'));
  const csv = await app.request(a.slug, 'GET', `/api/v1/classes/${klass}/gradebook/csv`, { token: a.admin.token });
  t.is(csv.status, 200, csv.text.slice(0, 300));
  t.true(String(csv.headers['content-type']).startsWith('text/csv'));
});
