// The access level last recorded for each school, so a change that time alone causes (a trial or a
// grace period running out) is noticed by the next request, audited and emailed exactly once.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.text('access_level').notNullable().defaultTo('full');
  });
  await knex.raw(`alter table tenants add constraint tenants_access_level check (access_level in ('full', 'read_only'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table tenants drop constraint tenants_access_level');
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('access_level');
  });
}
