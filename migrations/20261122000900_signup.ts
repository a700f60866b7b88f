// Self-service signup: a look-alike key for subdomains (so "1incoln" cannot impersonate
// "lincoln"), and email verification for the admin who signs a school up. People created any
// other way (operators, invitations, SSO) have proved their address already.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

/** The skeleton as this migration defined it (20261126000300_tr39-slug-skeletons.ts replaced it with tenants/slug.ts slugSkeleton()). */
export const SKELETON_SQL = `replace(replace(translate(replace(lower(slug), '-', ''), '01i35', 'olles'), 'rn', 'm'), 'vv', 'w')`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.text('slug_skeleton');
  });
  await knex.raw(`update tenants set slug_skeleton = ${SKELETON_SQL}`);
  await knex.raw('alter table tenants alter column slug_skeleton set not null');
  await knex.raw('create unique index tenants_slug_skeleton on tenants (slug_skeleton)');

  await knex.schema.alterTable('users', (t) => {
    t.timestamp('email_verified_at', { useTz: true }).defaultTo(knex.fn.now());
  });
  await createTenantTable(knex, 'email_verifications', (t) => {
    t.uuid('user_id').notNullable();
    t.text('token_hash').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'token_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'email_verifications');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_verified_at');
  });
  await knex.raw('drop index tenants_slug_skeleton');
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('slug_skeleton');
  });
}
