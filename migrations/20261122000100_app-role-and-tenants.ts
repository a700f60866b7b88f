// The platform table `tenants` (schools) and the app role that serves requests. edify_app can log
// in but is no superuser, owns nothing and has no BYPASSRLS, so row-level security binds it.
import type { Knex } from 'knex';
import { migrationContext } from '../api/db/migrate.ts';
import { APP_ROLE } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  // Roles are cluster-wide: create it once, and tolerate another database's migration racing us.
  await knex.raw(`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
        begin
          create role ${APP_ROLE} login nosuperuser nobypassrls nocreatedb nocreaterole noinherit password ${quoteLiteral(migrationContext.appRolePassword)};
        exception when duplicate_object or unique_violation then null;
        end;
      end if;
    end $$`);
  // The platform scope drops to the app role inside a school (tenants/session.ts), so the owner
  // must be allowed to SET ROLE to it. A superuser already may.
  await knex.raw(`
    do $$
    begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        execute format('grant ${APP_ROLE} to %I', current_user);
      end if;
    end $$`);
  // One slow request must not pin a pooled connection.
  // Role settings are cluster-wide; a migration of another database may be changing the same role
  // row at this moment ("tuple concurrently updated"), so retry briefly.
  await knex.raw(`
    do $$
    begin
      for attempt in 1..20 loop
        begin
          alter role ${APP_ROLE} set statement_timeout = '15s';
          alter role ${APP_ROLE} set idle_in_transaction_session_timeout = '30s';
          exit;
        exception when others then
          if attempt = 20 then raise; end if;
          perform pg_sleep(0.05 * attempt);
        end;
      end loop;
    end $$`);
  await knex.raw(`grant connect on database ?? to ${APP_ROLE}`, [await currentDatabase(knex)]);
  await knex.raw(`grant usage on schema public to ${APP_ROLE}`);
  // /readyz compares applied migrations with the code's list.
  await knex.raw(`grant select on knex_migrations to ${APP_ROLE}`);

  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('slug').notNullable().unique();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.text('suspended_reason');
    t.text('timezone').notNullable().defaultTo('UTC');
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table tenants add constraint tenants_slug_format check (slug ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$')`);
  await knex.raw(`alter table tenants add constraint tenants_status check (status in ('active', 'suspended'))`);
  // Host resolution runs as the app role; changes to schools go through the platform scope.
  await knex.raw(`grant select on tenants to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenants');
  await knex.raw(`revoke all on knex_migrations from ${APP_ROLE}`);
  await knex.raw(`revoke usage on schema public from ${APP_ROLE}`);
  // The role itself is cluster-wide and may serve other databases: it stays.
}

async function currentDatabase(knex: Knex): Promise<string> {
  const { rows } = await knex.raw('select current_database() as name');
  return rows[0].name;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
