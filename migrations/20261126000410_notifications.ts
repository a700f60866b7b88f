// The in-app inbox and per-person notification preferences (api/notifications/).
// A notification is one line in one person's inbox; `dedupe_key` makes "one reminder per homework
// per student" a database rule, whichever worker or retry gets there first. `email` records what
// happens to it by email: sent at once, waiting for the daily digest, digested, or not emailed.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'notifications', (t) => {
    t.uuid('user_id').notNullable();
    t.text('kind').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable().defaultTo('');
    t.text('link');
    t.text('dedupe_key').notNullable();
    t.text('email').notNullable().defaultTo('none');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', { useTz: true });
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'user_id', 'dedupe_key']);
  });
  await knex.raw(`alter table notifications add constraint notifications_email check (email in ('none', 'sent', 'digest', 'digested'))`);
  await knex.raw('create index notifications_inbox on notifications (tenant_id, user_id, created_at desc, id desc)');
  await knex.raw(`create index notifications_unread on notifications (tenant_id, user_id) where read_at is null`);
  await knex.raw(`create index notifications_digest on notifications (tenant_id, user_id) where email = 'digest'`);

  await createTenantTable(knex, 'notification_preferences', (t) => {
    t.uuid('user_id').notNullable();
    t.text('kind').notNullable();
    t.text('mode').notNullable();
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'user_id', 'kind']);
  });
  await knex.raw(`alter table notification_preferences add constraint notification_preferences_mode check (mode in ('immediately', 'daily', 'off'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'notification_preferences');
  await dropTenantTable(knex, 'notifications');
}
