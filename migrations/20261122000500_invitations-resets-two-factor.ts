// Invitations (people join a school by email), password resets, TOTP two-factor with recovery
// codes, browser-cookie sessions, and the seat limit a school's plan sets. Every token and code
// is stored only as a hash; TOTP secrets are encrypted (AES-256-GCM, api/auth/secret-box.ts).
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  // An invited person exists (rosters, seats) but cannot sign in until they accept.
  await knex.raw('alter table users drop constraint users_status');
  await knex.raw(`alter table users add constraint users_status check (status in ('invited', 'active', 'deactivated'))`);
  await knex.schema.alterTable('tenants', (t) => {
    t.integer('seat_limit').nullable();
  });

  await createTenantTable(knex, 'invitations', (t) => {
    t.uuid('user_id').notNullable();
    t.uuid('invited_by');
    t.text('token_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'token_hash']);
  });

  await createTenantTable(knex, 'password_resets', (t) => {
    t.uuid('user_id').notNullable();
    t.text('token_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'token_hash']);
  });

  await createTenantTable(knex, 'two_factor', (t) => {
    t.uuid('user_id').notNullable();
    t.text('secret_sealed').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('confirmed_at', { useTz: true });
    t.bigInteger('last_used_step');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'user_id']);
  });

  await createTenantTable(knex, 'recovery_codes', (t) => {
    t.uuid('user_id').notNullable();
    t.text('code_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('used_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
  });

  await knex.schema.alterTable('auth_sessions', (t) => {
    // Set while a person whom the school requires to use 2FA has not enrolled yet.
    t.boolean('enrolment_only').notNullable().defaultTo(false);
    // Browser sessions: the cookie's value, hashed.
    t.text('cookie_hash');
    t.unique(['tenant_id', 'cookie_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('auth_sessions', (t) => {
    t.dropUnique(['tenant_id', 'cookie_hash']);
    t.dropColumn('cookie_hash');
    t.dropColumn('enrolment_only');
  });
  await dropTenantTable(knex, 'recovery_codes');
  await dropTenantTable(knex, 'two_factor');
  await dropTenantTable(knex, 'password_resets');
  await dropTenantTable(knex, 'invitations');
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('seat_limit');
  });
  await knex.raw("update users set status = 'deactivated' where status = 'invited'");
  await knex.raw('alter table users drop constraint users_status');
  await knex.raw(`alter table users add constraint users_status check (status in ('active', 'deactivated'))`);
}
