// The tenant session's contract with the libraries under it (tenants/session.ts): knex and pg are
// pinned exactly in package.json, and an upgrade that breaks one of these assumptions fails here.
// Each test uses its own pool of ONE connection through the counting proxy (test/perf/wire.ts), so
// "the next user of the connection" is really the next session.
import test from 'ava';
import { withPlatform, withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createSchool } from '../helpers/factories.ts';
import { quiet as allAnswered, proxiedPool, transactionStatus } from '../perf/wire.ts';

// Registered when the file loads: pg's deprecation notices are printed once per process, so a
// listener added later could miss the one that matters.
const warnings: Error[] = [];
process.on('warning', (warning) => warnings.push(warning));

const normalized = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const joinCode = () => Math.random().toString(36).slice(2, 9).toUpperCase();

/** A pool of one whose connection is open and quiet, with the proxy's counts reset. */
async function warmPool(slug: string) {
  const { proxy, app } = await proxiedPool();
  await withTenant(app, { slug }, (db) => db.raw('select 1'), { readOnly: true });
  await allAnswered(app);
  proxy.reset();
  return { proxy, app };
}

test('knex opens the transaction, and the session sends BEGIN, the tenant statement and the prefetch as ONE message', async (t) => {
  const school = await createSchool();
  const { proxy, app } = await warmPool(school.slug);
  const seen = await withTenant(
    app,
    { id: school.tenant.id },
    async (db, tenant, prefetched) => ({ slug: tenant.slug, prefetched, rows: await db('classes').select('id') }),
    {
      prefetch: `select 'prefetched' as x`,
    },
  );
  await allAnswered(app);
  t.is(seen.slug, school.slug);
  t.deepEqual(seen.prefetched, [{ x: 'prefetched' }]);
  const sql = proxy.counts().statements.map((s) => normalized(s.sql));
  t.is(sql.length, 3, sql.join('\n'));
  t.regex(sql[0] ?? '', /^begin; select .* from tenants where id = '[0-9a-f-]{36}'; select 'prefetched' as x$/);
  t.regex(sql[1] ?? '', /from "classes"/);
  t.is(sql[2], 'COMMIT;');
  t.false(
    sql.some((s) => /^begin\b/i.test(s) && !s.includes('from tenants')),
    'knex never sends a BEGIN of its own',
  );
});

test('a read-only session answers before its COMMIT is answered, and the connection is reused only once it is', async (t) => {
  const school = await createSchool();
  await createClassIn(school, {}, 'Kept');
  const { proxy, app } = await warmPool(school.slug);
  const names = await withTenant(app, { slug: school.slug }, (db) => db('classes').pluck('name'), { readOnly: true });
  const atAnswer = proxy.counts().completed;
  t.deepEqual(names, ['Kept']);
  t.is(atAnswer, 2, 'the caller waited for the opening message and its query, not for the COMMIT');
  const connection = await app.client.acquireConnection();
  try {
    const atReuse = proxy.counts();
    t.is(atReuse.statements.at(-1)?.sql, 'COMMIT;');
    t.is(atReuse.completed, atReuse.requests, 'everything sent on the connection was answered before the pool handed it out again');
    t.is(connection.getTransactionStatus(), 'I');
  } finally {
    app.client.releaseConnection(connection);
  }
});

test('back-to-back sessions on one connection print no deprecation warning (pg 9 removes client queueing)', async (t) => {
  const a = await createSchool();
  const b = await createSchool();
  const { app } = await warmPool(a.slug);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => {
      const school = i % 2 === 0 ? a : b;
      const readOnly = i % 3 !== 0;
      return withTenant(
        app,
        { slug: school.slug },
        async (db, tenant) => ({ id: tenant.id, seen: await db.raw(`select current_setting('app.tenant_id') as id`) }),
        { readOnly },
      );
    }),
  );
  for (const result of results) t.is(result.seen.rows[0].id, result.id);
  await allAnswered(app);
  t.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
});

test('an error inside the session rolls back and leaves no transaction open on the connection', async (t) => {
  const school = await createSchool();
  const { app } = await warmPool(school.slug);
  const failed = await t.throwsAsync(
    withTenant(app, { id: school.tenant.id }, async (db) => {
      await db('classes').insert({ tenant_id: school.tenant.id, name: 'Never saved', join_code: joinCode() });
      throw new Error('changed my mind');
    }),
  );
  t.is(failed?.message, 'changed my mind');
  t.is(await transactionStatus(app), 'I');
  const names = await withTenant(app, { id: school.tenant.id }, (db) => db('classes').pluck('name'), { readOnly: true });
  t.deepEqual(names, []);
});

test('a failed opening never hands an open transaction to the pool: no such school, or a statement in the opening message fails', async (t) => {
  const school = await createSchool();
  const { app } = await warmPool(school.slug);
  const missing = await t.throwsAsync(withTenant(app, { slug: 'no-such-school-here' }, async () => 'never', { readOnly: true }));
  t.is((missing as { code?: string }).code, 'not-found');
  t.is(await transactionStatus(app), 'I');
  // BEGIN and the tenant statement have run when the prefetch fails in the same message.
  const broken = await t.throwsAsync(withTenant(app, { slug: school.slug }, async () => 'never', { prefetch: 'select 1/0', readOnly: true }));
  t.regex(broken?.message ?? '', /division by zero/);
  t.is(await transactionStatus(app), 'I');
  t.is(await withTenant(app, { slug: school.slug }, async (_db, tenant) => tenant.id, { readOnly: true }), school.tenant.id, 'the connection still serves');
});

test('nested transactions are savepoints inside the session, and the school stays set after one rolls back', async (t) => {
  const school = await createSchool();
  const { app } = await warmPool(school.slug);
  const inside = await withTenant(app, { id: school.tenant.id }, async (db) => {
    await db('classes').insert({ tenant_id: school.tenant.id, name: 'Outer', join_code: joinCode() });
    await db
      .transaction(async (inner) => {
        await inner('classes').insert({ tenant_id: school.tenant.id, name: 'Inner', join_code: joinCode() });
        t.deepEqual((await inner('classes').orderBy('name').pluck('name')) as string[], ['Inner', 'Outer']);
        throw new Error('undo the inner part');
      })
      .catch(() => undefined);
    await db.transaction((inner) => inner('classes').insert({ tenant_id: school.tenant.id, name: 'Released', join_code: joinCode() }));
    return db('classes').orderBy('name').pluck('name');
  });
  t.deepEqual(inside, ['Outer', 'Released']);
  t.deepEqual(await withTenant(app, { id: school.tenant.id }, (db) => db('classes').orderBy('name').pluck('name'), { readOnly: true }), ['Outer', 'Released']);
  t.is(await transactionStatus(app), 'I');
});

test('no named prepared statement is left on the connection (pgbouncer in transaction mode refuses them)', async (t) => {
  const school = await createSchool();
  const { app } = await warmPool(school.slug);
  await withTenant(app, { id: school.tenant.id }, (db) => db('classes').where({ id: school.tenant.id }).first());
  const named = await withTenant(app, { id: school.tenant.id }, (db) => db.raw('select count(*)::int as n from pg_prepared_statements'), { readOnly: true });
  t.is(named.rows[0].n, 0);
});

test('the platform scope still enters a school, directly or through withTenant inside its transaction', async (t) => {
  const a = await createSchool();
  const b = await createSchool();
  await createClassIn(a, {}, 'Only in A');
  await createClassIn(b, {}, 'Only in B');
  const { dbs } = testEnv();
  const seen = await withPlatform(dbs.owner, async (db) => {
    const schools = await db('tenants').whereIn('id', [a.tenant.id, b.tenant.id]).pluck('slug');
    const inA = await withTenant(db, { slug: a.slug }, async (inner, tenant) => ({ tenant: tenant.id, names: await inner('classes').pluck('name') }));
    return { schools, inA };
  });
  t.is(seen.schools.length, 2, 'the owner pool sees every school');
  t.deepEqual(seen.inA, { tenant: a.tenant.id, names: ['Only in A'] });
});
