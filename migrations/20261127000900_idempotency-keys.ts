// Idempotency-Key (api/http/idempotency.ts): the first answer to a creating request, kept a day
// so a client that retries (a lost connection on a hand-in, a double-clicked payment) gets that
// answer again instead of a second change. One key per person: nobody can read another's answer.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'idempotency_keys', (t) => {
    t.uuid('user_id').notNullable();
    t.text('key').notNullable();
    t.text('fingerprint').notNullable();
    t.integer('status');
    t.jsonb('answer');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'user_id', 'key']);
  });
  await knex.raw('create index idempotency_keys_age on idempotency_keys (tenant_id, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'idempotency_keys');
}
