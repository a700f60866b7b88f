// Row-level security, tested at the database: the app role, with and without a school set.
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
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

test('with no school set, the app role sees no rows and cannot insert', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await createPerson(school, 'teacher');
  for (const table of ['users', 'classes', 'enrollments', 'audit_events']) {
    const [row] = await dbs.app(table).count({ count: '*' });
    const count = row?.count;
    t.is(Number(count), 0, `${table} is empty without a school`);
  }
  const error = await t.throwsAsync(
    dbs.app('users').insert({ tenant_id: school.tenant.id, email: 'x@y.test', first_name: 'X', last_name: 'Y', role: 'student' }),
  );
  t.regex(error?.message ?? '', /row-level security/);
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
