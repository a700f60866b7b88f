// Migration helpers that make a tenant-owned table safe by construction: tenant_id, a primary
// key (tenant_id, id), composite foreign keys, indexes led by tenant_id, forced row-level
// security with the one isolation policy, and the app role's grants. Migrations build every
// tenant table through tenantTable(); test/tenants/catalog.test.ts proves nothing slipped past.
import type { Knex } from 'knex';

export const APP_ROLE = 'edify_app';

/** The policy predicate. `nullif(..., '')` keeps it failing closed after a transaction that
 * set app.tenant_id ends (the setting then reads '' rather than NULL on that connection). */
export const TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid";

export type Grant = 'select' | 'insert' | 'update' | 'delete';

export type TenantTableOptions = {
  /** What the app role may do; audit tables are append-only: ['select', 'insert']. */
  grants?: Grant[];
};

export async function createTenantTable(
  knex: Knex,
  name: string,
  build: (table: Knex.CreateTableBuilder) => void,
  options: TenantTableOptions = {},
): Promise<void> {
  await knex.schema.createTable(name, (table) => {
    table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    table.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    build(table);
    table.primary(['tenant_id', 'id'], { constraintName: `${name}_pkey` });
  });
  await enableTenantIsolation(knex, name, options.grants ?? ['select', 'insert', 'update', 'delete']);
}

export async function enableTenantIsolation(knex: Knex, name: string, grants: Grant[]): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [name]);
  await knex.raw('alter table ?? force row level security', [name]);
  await knex.raw(`create policy tenant_isolation on ?? using (${TENANT_PREDICATE}) with check (${TENANT_PREDICATE})`, [name]);
  await knex.raw(`grant ${grants.join(', ')} on ?? to ${APP_ROLE}`, [name]);
}

/** A reference to another tenant table: (tenant_id, column) → (tenant_id, id), so a row can
 * never point at another school's row. */
export function tenantReference(table: Knex.CreateTableBuilder, column: string, target: string, onDelete: 'CASCADE' | 'RESTRICT' = 'RESTRICT'): void {
  table.foreign(['tenant_id', column]).references(['tenant_id', 'id']).inTable(target).onDelete(onDelete);
  table.index(['tenant_id', column]);
}

export async function dropTenantTable(knex: Knex, name: string): Promise<void> {
  await knex.schema.dropTableIfExists(name);
}
