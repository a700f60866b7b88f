// Failed sign-in attempts, one row each, counted over a sliding window per (account, client
// address) and per account, separately for passwords and second-factor codes (api/auth/throttle.ts).
// They replace the per-account counter on users, which any stranger could drive into a pause
// that locked the owner out everywhere and never decayed.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(
    knex,
    'sign_in_failures',
    (t) => {
      t.uuid('user_id').notNullable();
      t.text('factor').notNullable();
      t.text('ip').notNullable();
      t.timestamp('occurred_at', { useTz: true }).notNullable();
      tenantReference(t, 'user_id', 'users', 'CASCADE');
      t.index(['tenant_id', 'user_id', 'factor', 'occurred_at']);
    },
    { grants: ['select', 'insert', 'delete'] },
  );
  await knex.raw(`alter table sign_in_failures add constraint sign_in_failures_factor check (factor in ('password', 'second_factor'))`);
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('failed_logins');
    t.dropColumn('locked_until');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
  });
  await dropTenantTable(knex, 'sign_in_failures');
}
