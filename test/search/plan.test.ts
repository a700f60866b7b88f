// docs/search.md: under RLS the planner will not use `@@` in an index, but it must still start
// from an index led by tenant_id, never a scan of every school's rows. Checked on the real
// search SQL, explained as edify_app inside a school's session, with enough schools for the
// planner to care.
import test from 'ava';
import { abilityFor } from '../../api/access/ability.ts';
import type { Scope } from '../../api/scope.ts';
import { searchQuery } from '../../api/search/service.ts';
import { withPlatform, withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, uniqueSlug } from '../helpers/factories.ts';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

test('the search query reads each table through a tenant_id index as edify_app', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  // Many other schools, so a sequential scan would be the wrong plan.
  const prefix = uniqueSlug('plan');
  await withPlatform(dbs.owner, async (db) => {
    await db.raw(`insert into tenants (slug, slug_skeleton, name) select ? || '-' || g, ? || '-' || g, 'Plan ' || g from generate_series(1, 300) g`, [
      prefix,
      prefix,
    ]);
    await db.raw(
      `insert into classes (tenant_id, name, description, join_code)
       select t.id, 'Volcanoes ' || c, 'rocks and magma', substr(md5(t.id::text || c), 1, 7) from tenants t, generate_series(1, 30) c where t.slug like ? || '-%'`,
      [prefix],
    );
    const theirs = `(select c.tenant_id, c.id from classes c join tenants t on t.id = c.tenant_id where t.slug like ? || '-%') as c`;
    await db.raw(`insert into homework (tenant_id, class_id, title, due_at) select c.tenant_id, c.id, 'Volcano diagram', now() from ${theirs}`, [prefix]);
    await db.raw(
      `insert into resources (tenant_id, class_id, title, kind, url, position) select c.tenant_id, c.id, 'Volcano video', 'link', 'https://example.org', 0 from ${theirs}`,
      [prefix],
    );
    await db.raw(`insert into notices (tenant_id, class_id, title, body) select c.tenant_id, c.id, 'Volcano trip', 'Bring boots' from ${theirs}`, [prefix]);
    await db.raw('analyze classes, homework, resources, notices');
  });
  const plan = await withTenant(
    dbs.app,
    { id: school.tenant.id },
    async (db, tenant) => {
      const actor = {
        type: 'user' as const,
        user: { id: teacher.id, role: 'teacher' as const, email: teacher.email, first_name: 'T', last_name: 'T', sessionId: 'x' },
      };
      const scope: Scope = { db, tenant, actor, ability: abilityFor(actor) };
      const built = searchQuery(scope, { q: 'volcano', limit: 20 });
      if (!built) throw new Error('no search sources');
      const { sql, bindings } = built.toSQL();
      const [row] = (await db.raw(`explain (format json) ${sql}`, bindings as never[])).rows;
      return row['QUERY PLAN'][0].Plan as PlanNode;
    },
    { readOnly: true },
  );
  const all = nodes(plan);
  for (const table of ['classes', 'homework', 'resources', 'notices']) {
    const reads = all.filter((n) => n['Relation Name'] === table || n['Index Name']?.startsWith(`${table}_`));
    t.true(reads.length > 0, `the search reads ${table}`);
    t.false(
      reads.some((n) => n['Node Type'] === 'Seq Scan'),
      `${table} is scanned in full: ${JSON.stringify(reads)}`,
    );
  }
  const classIndex = all.find((n) => n['Index Cond']?.includes('tenant_id') && (n['Index Name'] ?? '').startsWith('classes'));
  t.truthy(classIndex, `classes are read through an index on tenant_id: ${JSON.stringify(all.map((n) => [n['Node Type'], n['Index Name']]))}`);
});
