// P5's plan half (docs/performance.md): every statement the hot endpoints send, EXPLAINed as
// edify_app inside a tenant session (so with the RLS predicate), must reach each school table
// through an index whose leading column is tenant_id, with tenant_id in the index condition.
// Sequential scans are disabled for the EXPLAIN: the test data is tiny, and the question is
// whether such an index exists and the query can use it, not what the planner picks on 10 rows.
import test from 'ava';
import { inlineParams } from '../../bench/lib/capture.ts';
import type { Statement } from '../../bench/lib/pg-proxy.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';
import { send } from '../helpers/http.ts';
import { proxiedPool, quiet, serve } from './wire.ts';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };

test('the hot queries of class reads are index lookups led by tenant_id, as edify_app', async (t) => {
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  const klass = await createClassIn(school, { teachers: [teacher], students: [student] });
  const { proxy, app } = await proxiedPool();
  const port = await serve(app);
  const { config, dbs } = testEnv();
  const get = (token: string, path: string) => send(port, config.baseDomain, school.slug, 'GET', path, { token });
  t.is((await get(student.token, '/api/v1/classes')).status, 200); // warm-up: pool startup is not a request
  await quiet(app);
  proxy.reset();
  for (const [token, path] of [
    [student.token, `/api/v1/classes/${klass.id}`],
    [student.token, '/api/v1/classes'],
    [teacher.token, `/api/v1/classes/${klass.id}`],
    [teacher.token, `/api/v1/classes/${klass.id}/members`],
  ] as const) {
    t.is((await get(token, path)).status, 200, path);
  }
  await quiet(app);
  const statements = proxy.counts().statements.filter((s) => s.sql !== 'COMMIT;');
  t.true(statements.length >= 8, 'each request sent its tenant statement and its queries');

  const leadingColumns = await indexLeadingColumns();
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const sql of statements.flatMap(explainable)) {
    if (seen.has(sql)) continue;
    seen.add(sql);
    const plan = await withTenant(
      dbs.app,
      { id: school.tenant.id },
      async (db) => {
        await db.raw('set local enable_seqscan = off');
        const { rows } = await db.raw(`explain (format json) ${sql.replaceAll('?', '\\?')}`);
        return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
      },
      { readOnly: true },
    );
    const found = scans(plan);
    t.log(`${found.map((n) => `${n.Relation}:${n.index ?? n.type}`).join(' ')}  ←  ${sql.slice(0, 90)}`);
    if (found.length === 0) problems.push(`no table read in: ${sql.slice(0, 160)}`);
    for (const node of found) {
      const where = `${node.Relation ?? '?'} in: ${sql.slice(0, 160)}`;
      if (!node.index) problems.push(`${node.type} of ${where}`);
      else if (node.Relation === 'tenants') continue;
      else if (leadingColumns.get(node.index) !== 'tenant_id') problems.push(`index ${node.index} is not led by tenant_id (${where})`);
      else if (!/tenant_id/.test(node.cond ?? '')) problems.push(`index ${node.index} is used without tenant_id in its condition (${where})`);
    }
  }
  t.deepEqual(problems, []);
  t.true(seen.size >= 4, 'the tenant statement, the sign-in lookup, the class read and the lists were all checked');
});

/** The captured message as EXPLAINable queries: values inlined; the BEGIN that rides with the
 * tenant statement dropped, and the sign-in lookup that rides after it split off. */
function explainable(statement: Statement): string[] {
  return inlineParams(statement)
    .replace(/^\s*begin[^;]*;/i, '')
    .split(/;\s*\n/)
    .map((sql) => sql.trim())
    .filter(Boolean);
}

/** Every node that reads a table, with the index it goes through (a bitmap heap scan's index is
 * on its bitmap index child). */
function scans(node: PlanNode): { type: string; Relation?: string; index?: string; cond?: string }[] {
  const found: { type: string; Relation?: string; index?: string; cond?: string }[] = [];
  const visit = (n: PlanNode) => {
    if (n['Relation Name']) {
      const bitmap = n['Node Type'] === 'Bitmap Heap Scan' ? n.Plans?.find((c) => c['Node Type'] === 'Bitmap Index Scan') : undefined;
      const source = bitmap ?? n;
      const indexed = /Index/.test(n['Node Type']) || bitmap !== undefined;
      found.push({ type: n['Node Type'], Relation: n['Relation Name'], index: indexed ? source['Index Name'] : undefined, cond: source['Index Cond'] });
    }
    for (const child of n.Plans ?? []) visit(child);
  };
  visit(node);
  return found;
}

async function indexLeadingColumns(): Promise<Map<string, string>> {
  const { dbs } = testEnv();
  const { rows } = await dbs.owner.raw(
    `select i.relname as index, a.attname as first
       from pg_index x join pg_class i on i.oid = x.indexrelid
       join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
       join pg_namespace n on n.oid = i.relnamespace where n.nspname = 'public'`,
  );
  return new Map((rows as { index: string; first: string }[]).map((r) => [r.index, r.first]));
}
