// Which tables belong to a school, read from the catalog at the moment of the backup: every table
// in `public` with a tenant_id column and row-level security. Never a hand-kept list, so a table a
// later migration adds is backed up and restored without touching this code.
import type { ClientBase } from 'pg';

export type TenantTable = { name: string; columns: string[] };

/** Tables a restore does not carry over: sign-in sessions and one-time tokens (people sign in
 * again; a reset link from the past must not work again). They are still in the archive. */
export const NOT_RESTORED: ReadonlySet<string> = new Set(['auth_sessions', 'refresh_tokens', 'password_resets', 'email_verifications', 'saml_requests']);

/** Every tenant table with its stored (not generated) columns, parents before children (the order
 * a load must follow: the foreign keys are not deferrable). */
export async function tenantTables(client: ClientBase): Promise<TenantTable[]> {
  const { rows } = await client.query<{ name: string; columns: string[] }>(
    `select c.relname as name,
            array(select a.attname from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                   order by a.attnum)::text[] as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relrowsecurity
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
      order by c.relname`,
  );
  const { rows: edges } = await client.query<{ child: string; parent: string }>(
    `select distinct ch.relname as child, pa.relname as parent
       from pg_constraint con
       join pg_class ch on ch.oid = con.conrelid join pg_namespace n on n.oid = ch.relnamespace
       join pg_class pa on pa.oid = con.confrelid
      where con.contype = 'f' and n.nspname = 'public' and con.conrelid <> con.confrelid`,
  );
  return topological(rows, edges);
}

function topological(tables: TenantTable[], edges: { child: string; parent: string }[]): TenantTable[] {
  const names = new Set(tables.map((t) => t.name));
  const parents = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set<string>()]));
  for (const e of edges) if (names.has(e.child) && names.has(e.parent)) parents.get(e.child)?.add(e.parent);
  const ordered: TenantTable[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t.name) && [...(parents.get(t.name) ?? [])].every((p) => placed.has(p)));
    if (ready.length === 0) {
      const stuck = tables.filter((t) => !placed.has(t.name)).map((t) => t.name);
      throw new Error(`Tenant tables reference each other in a cycle (${stuck.join(', ')}): a restore cannot order them.`);
    }
    for (const t of ready) {
      ordered.push(t);
      placed.add(t.name);
    }
  }
  return ordered;
}

/** The newest applied migration: the schema an archive was made with. */
export async function schemaVersion(client: ClientBase): Promise<string> {
  const { rows } = await client.query<{ name: string }>('select name from knex_migrations order by name desc limit 1');
  return rows[0]?.name ?? '';
}
