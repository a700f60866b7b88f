// District single sign-on (SAML 2.0), per school. A connection is one IdP trusted by one school;
// outstanding AuthnRequest ids and seen assertion ids live here (not in process memory) so the
// checks hold across API processes; identities link an IdP subject to a person.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'saml_connections', (t) => {
    t.text('name').notNullable();
    t.text('idp_entity_id').notNullable();
    t.text('sso_url').notNullable();
    t.jsonb('certificates').notNullable();
    t.text('name_id_format');
    t.jsonb('attribute_map').notNullable().defaultTo('{}');
    t.text('role_attribute');
    t.jsonb('role_map').notNullable().defaultTo('{}');
    t.text('default_role').notNullable().defaultTo('deny');
    t.jsonb('allowed_domains').notNullable().defaultTo('[]');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.boolean('allow_idp_initiated').notNullable().defaultTo(false);
    t.boolean('idp_is_source').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table saml_connections add constraint saml_connections_default_role check (default_role in ('deny', 'admin', 'teacher', 'student'))`);

  await createTenantTable(knex, 'saml_requests', (t) => {
    t.uuid('connection_id').notNullable();
    t.text('request_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    tenantReference(t, 'connection_id', 'saml_connections', 'CASCADE');
    t.unique(['tenant_id', 'request_id']);
  });

  await createTenantTable(knex, 'saml_replays', (t) => {
    t.uuid('connection_id').notNullable();
    t.text('assertion_id').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    tenantReference(t, 'connection_id', 'saml_connections', 'CASCADE');
    t.unique(['tenant_id', 'connection_id', 'assertion_id']);
  });

  await createTenantTable(knex, 'sso_attempts', (t) => {
    t.uuid('connection_id').notNullable();
    t.text('outcome').notNullable();
    t.text('reason');
    t.text('subject');
    t.text('email');
    t.uuid('user_id');
    t.text('request_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'connection_id', 'saml_connections', 'CASCADE');
  });
  await knex.raw('create index sso_attempts_recent on sso_attempts (tenant_id, connection_id, created_at desc)');

  await createTenantTable(knex, 'user_identities', (t) => {
    t.uuid('user_id').notNullable();
    t.uuid('connection_id').notNullable();
    t.text('subject').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_login_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    tenantReference(t, 'connection_id', 'saml_connections', 'CASCADE');
    t.unique(['tenant_id', 'connection_id', 'subject']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['user_identities', 'sso_attempts', 'saml_replays', 'saml_requests', 'saml_connections']) await dropTenantTable(knex, table);
}
