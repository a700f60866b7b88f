// Append-only audit trail: the app role may insert and read, never update or delete.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(
    knex,
    'audit_events',
    (t) => {
      t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      // No foreign key to users: the trail outlives the people in it.
      t.text('actor_type').notNullable();
      t.uuid('actor_id');
      t.text('actor_label').notNullable();
      t.text('action').notNullable();
      t.text('target_type');
      t.text('target_id');
      t.jsonb('details').notNullable().defaultTo('{}');
      t.text('request_id');
      t.text('ip');
      t.index(['tenant_id', 'occurred_at']);
      t.index(['tenant_id', 'target_type', 'target_id']);
    },
    { grants: ['select', 'insert'] },
  );
  await knex.raw(`alter table audit_events add constraint audit_events_actor_type check (actor_type in ('user', 'operator', 'system'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'audit_events');
}
