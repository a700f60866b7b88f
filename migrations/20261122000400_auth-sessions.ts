// Sign-in sessions (one per device) and their rotating refresh tokens, plus what the login
// lockout needs on users. Refresh tokens are stored only as SHA-256 hashes.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'auth_sessions', (t) => {
    t.uuid('user_id').notNullable();
    t.text('kind').notNullable().defaultTo('api');
    t.text('user_agent');
    t.text('ip');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_reason');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
  });
  await knex.raw(`alter table auth_sessions add constraint auth_sessions_kind check (kind in ('api', 'browser'))`);

  await createTenantTable(knex, 'refresh_tokens', (t) => {
    t.uuid('session_id').notNullable();
    t.text('token_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('used_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true }).notNullable();
    tenantReference(t, 'session_id', 'auth_sessions', 'CASCADE');
    t.unique(['tenant_id', 'token_hash']);
  });

  await knex.schema.alterTable('users', (t) => {
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('password_changed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('failed_logins');
    t.dropColumn('locked_until');
    t.dropColumn('password_changed_at');
  });
  await dropTenantTable(knex, 'refresh_tokens');
  await dropTenantTable(knex, 'auth_sessions');
}
