// Two platform (non-tenant) tables for operating schools:
// - platform_audit: what operators did to schools from the CLI (create, suspend, rename, delete,
//   backup, restore...), with the OS user. It outlives the schools it names (no foreign key), and
//   is append-only: the app role may only insert and read, and a trigger refuses UPDATE, DELETE
//   and TRUNCATE for every role, the owner included (changing it means dropping the trigger: a
//   schema change, never a silent edit).
// - tenant_slug_redirects: a renamed school's old subdomain, redirected (308) to the new one
//   until expires_at; while it is listed, nobody else can take that subdomain or a look-alike.
// Neither table has a tenant_id column: they are not a school's rows (the catalog test treats
// every table with tenant_id as one).
import type { Knex } from 'knex';
import { APP_ROLE } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('platform_audit', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('actor').notNullable();
    t.text('via').notNullable().defaultTo('cli');
    t.text('action').notNullable();
    t.uuid('school_id');
    t.text('school_slug');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['occurred_at']);
    t.index(['school_slug', 'occurred_at']);
  });
  await knex.raw(`
    create function platform_audit_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'platform_audit is append-only (% refused)', tg_op using errcode = '42501';
    end $$`);
  await knex.raw(`create trigger platform_audit_no_update before update or delete on platform_audit
                    for each row execute function platform_audit_append_only()`);
  await knex.raw(`create trigger platform_audit_no_truncate before truncate on platform_audit
                    for each statement execute function platform_audit_append_only()`);
  await knex.raw(`revoke all on platform_audit from public`);
  await knex.raw(`grant select, insert on platform_audit to ${APP_ROLE}`);
  await knex.raw(`grant usage on sequence platform_audit_id_seq to ${APP_ROLE}`);

  await knex.schema.createTable('tenant_slug_redirects', (t) => {
    t.text('old_slug').primary();
    t.text('old_skeleton').notNullable();
    t.uuid('school_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['old_skeleton']);
    t.index(['school_id']);
  });
  await knex.raw(`revoke all on tenant_slug_redirects from public`);
  await knex.raw(`grant select on tenant_slug_redirects to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenant_slug_redirects');
  await knex.schema.dropTable('platform_audit');
  await knex.raw('drop function platform_audit_append_only()');
}
