// Row-level security, tested at the database: the app role, with and without a school set.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { APP_ROLE, TENANT_PREDICATE } from '../../tenants/schema.ts';
import { withTenant } from '../../tenants/session.ts';
import { isolationProblems, tenantTables } from '../helpers/catalog.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';

test('the app role is no superuser, has no BYPASSRLS and owns no table', async (t) => {
  const { dbs } = testEnv();
  const { rows } = await dbs.app.raw(
    `select r.rolsuper, r.rolbypassrls, (select count(*)::int from pg_class c where c.relowner = r.oid) as owned
       from pg_roles r where r.rolname = current_user`,
  );
  t.deepEqual(rows[0], { rolsuper: false, rolbypassrls: false, owned: 0 });
});

/** A brand-new connection as the app role. It has never carried a school, so app.tenant_id is
 * NULL on it, where a pooled connection that ran a tenant transaction has '': a policy that fails
 * open on NULL shows everything here and nothing there. Behind pgbouncer (EDIFY_TEST_PGBOUNCER) a
 * new client connection gets a server connection that other sessions already used, so this one
 * goes to the server directly. */
async function freshAppConnection<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.EDIFY_TEST_APP_DIRECT_URL ?? testEnv().dbs.appUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows of the table (`name` or `schema.name`) the connection can see with no school set. */
async function visibleWithoutSchool(client: pg.Client, table: string): Promise<number> {
  const name = table
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');
  return (await client.query(`select count(*)::int as n from ${name}`)).rows[0].n;
}

test('with no school set, on a brand-new connection, the app role sees no row of any tenant table and cannot insert', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await createPerson(school, 'teacher');
  const tables = await tenantTables(dbs.owner);
  const { rows: readable } = await dbs.owner.raw(`select t as name from unnest(?::text[]) t where has_table_privilege(?, t, 'select')`, [tables, APP_ROLE]);
  t.true(readable.length >= 20, 'every tenant table the app reads');
  await freshAppConnection(async (client) => {
    t.is((await client.query(`select current_setting('app.tenant_id', true) as v`)).rows[0].v, null, 'never set on this connection');
    for (const { name } of readable as { name: string }[]) t.is(await visibleWithoutSchool(client, name), 0, `${name} is empty without a school`);
    const error = await t.throwsAsync(
      client.query(`insert into users (tenant_id, email, first_name, last_name, role) values ($1, 'x@y.test', 'X', 'Y', 'student')`, [school.tenant.id]),
    );
    t.regex(error?.message ?? '', /row-level security/);
  });
  const [owned] = await dbs.owner('users').where({ tenant_id: school.tenant.id }).count({ n: '*' });
  t.is(Number(owned?.n), 2, 'the rows were there to be seen');
});

test('that check catches a fail-open policy, which a connection that already carried a school would hide', async (t) => {
  const { dbs } = testEnv();
  const schema = `scratch_${randomBytes(4).toString('hex')}`;
  const table = `${schema}.fail_open`;
  await dbs.owner.raw(`
    create schema ${schema};
    create table ${table} (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
    alter table ${table} enable row level security;
    alter table ${table} force row level security;
    create policy tenant_isolation on ${table}
      using (${TENANT_PREDICATE} or current_setting('app.tenant_id', true) is null)
      with check (${TENANT_PREDICATE} or current_setting('app.tenant_id', true) is null);
    grant usage on schema ${schema} to ${APP_ROLE};
    grant select on ${table} to ${APP_ROLE};
    insert into ${table} values (gen_random_uuid(), gen_random_uuid());
  `);
  try {
    t.is(await freshAppConnection((client) => visibleWithoutSchool(client, table)), 1, 'a brand-new connection sees the row: the check fails');
    const school = await createSchool();
    const reused = await freshAppConnection(async (client) => {
      await client.query('begin');
      await client.query(`select set_config('app.tenant_id', $1, true)`, [school.tenant.id]);
      await client.query('commit');
      return visibleWithoutSchool(client, table);
    });
    t.is(reused, 0, 'after a tenant transaction the setting is empty, not NULL, and the same check would pass');
    t.true((await isolationProblems(dbs.owner, schema)).includes('fail_open: policy tenant_isolation does not restrict rows to the tenant'));
  } finally {
    await dbs.owner.raw(`drop schema ${schema} cascade`);
  }
});

test('inside a school, rows of another school are invisible and cannot be written', async (t) => {
  const { dbs } = testEnv();
  const a = await createSchool();
  const b = await createSchool();
  const bTeacher = await createPerson(b, 'teacher');
  await withTenant(dbs.app, { id: a.tenant.id }, async (db) => {
    const emails = (await db('users').select('email')).map((r) => r.email);
    t.deepEqual(emails, [a.admin.email]);
    t.is(await db('users').where({ id: bTeacher.id }).update({ first_name: 'Hacked' }), 0);
    t.is(await db('users').where({ id: bTeacher.id }).delete(), 0);
    await t.throwsAsync(
      db.raw('savepoint s').then(() => db('users').insert({ tenant_id: b.tenant.id, email: 'z@z.test', first_name: 'Z', last_name: 'Z', role: 'student' })),
      {
        message: /row-level security/,
      },
    );
    await db.raw('rollback to savepoint s');
  });
  const [row] = await withTenant(dbs.app, { id: b.tenant.id }, (db) => db('users').where({ id: bTeacher.id }).select('first_name'));
  t.is(row.first_name, 'Pat');
});

test('a composite foreign key cannot point at another school’s row', async (t) => {
  const { dbs } = testEnv();
  const a = await createSchool();
  const b = await createSchool();
  const bClass = await createClassIn(b);
  await t.throwsAsync(
    withTenant(dbs.app, { id: a.tenant.id }, (db) =>
      db('enrollments').insert({ tenant_id: a.tenant.id, class_id: bClass.id, user_id: a.admin.id, role: 'teacher' }),
    ),
    { message: /foreign key/ },
  );
});

test('audit events are append-only for the app role', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await withTenant(dbs.app, { id: school.tenant.id }, async (db) => {
    const [row] = await db('audit_events').count({ count: '*' });
    const count = row?.count;
    t.true(Number(count) > 0, 'creating the school was audited');
    await db.raw('savepoint s');
    await t.throwsAsync(db('audit_events').update({ action: 'nothing' }), { message: /permission denied/ });
    await db.raw('rollback to savepoint s');
    await t.throwsAsync(db('audit_events').delete(), { message: /permission denied/ });
  }).catch(() => undefined);
});

test('the school setting ends with its transaction, so a reused connection sees nothing', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const conn = await dbs.app.client.acquireConnection();
  try {
    const q = (sql: string, params: unknown[] = []) =>
      new Promise<any>((resolve, reject) => conn.query(sql, params, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))));
    await q('begin');
    await q(`select set_config('app.tenant_id', $1, true)`, [school.tenant.id]);
    t.is((await q('select count(*)::int as n from users')).rows[0].n, 1);
    await q('commit');
    t.is((await q(`select current_setting('app.tenant_id', true) as v`)).rows[0].v, '');
    t.is((await q('select count(*)::int as n from users')).rows[0].n, 0);
  } finally {
    await dbs.app.client.releaseConnection(conn);
  }
});

test('GET-style read-only sessions refuse writes loudly', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await t.throwsAsync(
    withTenant(dbs.app, { id: school.tenant.id }, (db) => db('classes').insert({ tenant_id: school.tenant.id, name: 'X', join_code: 'ABCDEFG' }), {
      readOnly: true,
    }),
    { message: /read-only transaction/ },
  );
});
