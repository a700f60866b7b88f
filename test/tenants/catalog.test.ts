import { randomBytes } from 'node:crypto';
import test from 'ava';
import { TENANT_PREDICATE } from '../../tenants/schema.ts';
import { isolationProblems, TENANT_POLICY_EXPRESSION, tenantTables } from '../helpers/catalog.ts';
import { testEnv } from '../helpers/env.ts';

test('every table with a tenant_id follows the isolation rules', async (t) => {
  const { dbs } = testEnv();
  const tables = await tenantTables(dbs.owner);
  t.true(tables.includes('users') && tables.includes('classes') && tables.includes('enrollments') && tables.includes('audit_events'));
  t.deepEqual(await isolationProblems(dbs.owner, 'public'), []);
});

test('every tenant table’s policy is exactly the tenant predicate, as PostgreSQL stores it', async (t) => {
  const { dbs } = testEnv();
  const { rows } = await dbs.owner.raw(
    `select distinct pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)`,
  );
  t.deepEqual(rows, [{ using: TENANT_POLICY_EXPRESSION, check: TENANT_POLICY_EXPRESSION }]);
});

test('the catalog check catches each kind of broken table', async (t) => {
  const { dbs } = testEnv();
  const schema = `scratch_${randomBytes(4).toString('hex')}`;
  await dbs.owner.raw(`create schema ${schema}`);
  try {
    await dbs.owner.raw(`
      create table ${schema}.good (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
      alter table ${schema}.good enable row level security;
      alter table ${schema}.good force row level security;
      create policy tenant_isolation on ${schema}.good using (${TENANT_PREDICATE}) with check (${TENANT_PREDICATE});

      -- RLS never enabled, primary key on id alone
      create table ${schema}.no_rls (tenant_id uuid not null, id uuid primary key);
      -- enabled but not forced: the owner would bypass it
      create table ${schema}.not_forced (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
      alter table ${schema}.not_forced enable row level security;
      create policy tenant_isolation on ${schema}.not_forced using (${TENANT_PREDICATE}) with check (${TENANT_PREDICATE});
      -- forced, but the policy lets every row through
      create table ${schema}.open_policy (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
      alter table ${schema}.open_policy enable row level security;
      alter table ${schema}.open_policy force row level security;
      create policy anything on ${schema}.open_policy using (true);
      -- a single-column reference that could point at another school's row
      create table ${schema}.loose_fk (tenant_id uuid not null, id uuid not null, good_id uuid, primary key (tenant_id, id));
      create unique index on ${schema}.good (id);
      alter table ${schema}.loose_fk add constraint loose_fk_good foreign key (good_id) references ${schema}.good (id);
      alter table ${schema}.loose_fk enable row level security;
      alter table ${schema}.loose_fk force row level security;
      create policy tenant_isolation on ${schema}.loose_fk using (${TENANT_PREDICATE}) with check (${TENANT_PREDICATE});
      -- fails open: with no school set (NULL on a brand-new connection) every row shows
      create table ${schema}.fail_open (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
      alter table ${schema}.fail_open enable row level security;
      alter table ${schema}.fail_open force row level security;
      create policy tenant_isolation on ${schema}.fail_open
        using (${TENANT_PREDICATE} or current_setting('app.tenant_id', true) is null)
        with check (${TENANT_PREDICATE} or current_setting('app.tenant_id', true) is null);
      -- the right predicate in USING, a fail-open one in WITH CHECK
      create table ${schema}.open_check (tenant_id uuid not null, id uuid not null, primary key (tenant_id, id));
      alter table ${schema}.open_check enable row level security;
      alter table ${schema}.open_check force row level security;
      create policy tenant_isolation on ${schema}.open_check using (${TENANT_PREDICATE}) with check (${TENANT_PREDICATE} or true);
    `);
    const problems = await isolationProblems(dbs.owner, schema);
    t.false(
      problems.some((p) => p.startsWith('good:')),
      'the well-built table passes',
    );
    t.true(problems.includes('no_rls: row level security is not enabled'));
    t.true(problems.includes('no_rls: primary key must start with tenant_id'));
    t.true(problems.includes('not_forced: row level security is not forced'));
    t.true(problems.some((p) => p.startsWith('open_policy: policy anything does not restrict')));
    t.true(problems.some((p) => p.startsWith('open_policy: needs exactly one policy')));
    t.true(problems.includes('loose_fk: foreign key loose_fk_good must be composite, (tenant_id, …) → good(tenant_id, …)'));
    t.true(problems.includes('fail_open: policy tenant_isolation does not restrict rows to the tenant'), problems.join('\n'));
    t.true(problems.includes('fail_open: needs exactly one policy for all commands using and checking tenant_id = app.tenant_id'));
    t.true(problems.includes('open_check: needs exactly one policy for all commands using and checking tenant_id = app.tenant_id'));
  } finally {
    await dbs.owner.raw(`drop schema ${schema} cascade`);
  }
});
