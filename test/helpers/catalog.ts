// Walks the PostgreSQL catalog and lists every way a tenant table breaks the isolation rules.
// Used by test/tenants/catalog.test.ts on the real schema and on a deliberately broken one.
import type { Knex } from 'knex';

/** TENANT_PREDICATE (tenants/schema.ts) as PostgreSQL deparses it: a policy is the tenant's only if
 * its expression is exactly this. */
export const TENANT_POLICY_EXPRESSION = "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)";

export async function isolationProblems(db: Knex, schema: string): Promise<string[]> {
  const problems: string[] = [];
  const { rows: tables } = await db.raw(
    `select c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind in ('r', 'p')
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
      order by c.relname`,
    [schema],
  );
  for (const t of tables as { oid: number; relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[]) {
    const name = t.relname;
    if (!t.relrowsecurity) problems.push(`${name}: row level security is not enabled`);
    if (!t.relforcerowsecurity) problems.push(`${name}: row level security is not forced`);

    const { rows: policies } = await db.raw(
      `select polname, polcmd, polpermissive, pg_get_expr(polqual, polrelid) as using, pg_get_expr(polwithcheck, polrelid) as check
         from pg_policy where polrelid = ?`,
      [t.oid],
    );
    const isolating = (policies as { polcmd: string; polpermissive: boolean; using: string | null; check: string | null }[]).filter(
      (p) => p.polcmd === '*' && p.polpermissive && isTenantPredicate(p.using) && isTenantPredicate(p.check),
    );
    if (isolating.length !== 1) problems.push(`${name}: needs exactly one policy for all commands using and checking tenant_id = app.tenant_id`);
    const others = (policies as { polname: string; using: string | null }[]).filter((p) => !isTenantPredicate(p.using));
    for (const p of others) problems.push(`${name}: policy ${p.polname} does not restrict rows to the tenant`);

    const { rows: keys } = await db.raw(
      `select con.conname, con.contype, con.confrelid::regclass::text as target,
              array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
                    join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
              array(select a.attname from unnest(con.confkey) with ordinality k(attnum, ord)
                    join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord)::text[] as target_columns
         from pg_constraint con where con.conrelid = ? and con.contype in ('p', 'f')`,
      [t.oid],
    );
    const pk = (keys as { contype: string; columns: string[] }[]).find((k) => k.contype === 'p');
    if (!pk) problems.push(`${name}: has no primary key`);
    else if (pk.columns[0] !== 'tenant_id' || pk.columns.length < 2) problems.push(`${name}: primary key must start with tenant_id`);
    for (const fk of keys as { conname: string; contype: string; target: string; columns: string[]; target_columns: string[] }[]) {
      if (fk.contype !== 'f') continue;
      const target = fk.target.replace(/^.*\./, '');
      if (target === 'tenants') continue; // tenant_id → tenants(id) is the one single-column reference
      if (fk.columns[0] !== 'tenant_id' || fk.target_columns[0] !== 'tenant_id' || fk.columns.length < 2) {
        problems.push(`${name}: foreign key ${fk.conname} must be composite, (tenant_id, …) → ${target}(tenant_id, …)`);
      }
    }
  }
  return problems;
}

/** The whole expression, not a part of it: `… OR current_setting('app.tenant_id', true) IS NULL`
 * contains the predicate and fails open on a connection that never set a school. */
function isTenantPredicate(expr: string | null): boolean {
  return expr !== null && expr.replace(/\s+/g, ' ').trim() === TENANT_POLICY_EXPRESSION;
}

export async function tenantTables(db: Knex, schema = 'public'): Promise<string[]> {
  const { rows } = await db.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
      order by 1`,
    [schema],
  );
  return rows.map((r: { relname: string }) => r.relname);
}
