// Notices (announcements): per class, or school-wide when class_id is null. Status is derived
// from publish_at (null: draft; future: scheduled; past: published), never stored, so a
// scheduled notice becomes visible the moment its time passes without any job running.
// notice_deliveries is the outbox the email/push sender (a later background job) works from.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'notices', (t) => {
    // Nullable: a composite reference with a null column is not checked (MATCH SIMPLE).
    t.uuid('class_id');
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.boolean('important').notNullable().defaultTo(false);
    t.boolean('pinned').notNullable().defaultTo(false);
    t.timestamp('publish_at', { useTz: true });
    // When its recipients were queued in notice_deliveries; null until it is published.
    t.timestamp('fanned_out_at', { useTz: true });
    // No foreign key to users: a notice outlives its author's account.
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id']).references(['tenant_id', 'id']).inTable('classes').onDelete('CASCADE');
    t.index(['tenant_id', 'class_id', 'publish_at']);
  });
  // School-wide notices are in every list; published notices still waiting for their fan-out
  // are what the scheduled-publishing job looks for.
  await knex.raw('create index notices_school_wide on notices (tenant_id, publish_at) where class_id is null');
  await knex.raw('create index notices_awaiting_fan_out on notices (tenant_id, publish_at) where fanned_out_at is null and publish_at is not null');

  await createTenantTable(knex, 'notice_reads', (t) => {
    t.uuid('notice_id').notNullable();
    t.uuid('user_id').notNullable();
    t.timestamp('read_at', { useTz: true }).notNullable();
    t.foreign(['tenant_id', 'notice_id']).references(['tenant_id', 'id']).inTable('notices').onDelete('CASCADE');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    // Also the index for "has this person read these notices" and for a notice's receipts.
    t.unique(['tenant_id', 'notice_id', 'user_id']);
  });

  await createTenantTable(knex, 'notice_deliveries', (t) => {
    t.uuid('notice_id').notNullable();
    t.uuid('user_id').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.foreign(['tenant_id', 'notice_id']).references(['tenant_id', 'id']).inTable('notices').onDelete('CASCADE');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'notice_id', 'user_id']);
  });
  await knex.raw(`alter table notice_deliveries add constraint notice_deliveries_status check (status in ('pending', 'sent', 'failed', 'cancelled'))`);
  await knex.raw(`create index notice_deliveries_pending on notice_deliveries (tenant_id, created_at) where status = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'notice_deliveries');
  await dropTenantTable(knex, 'notice_reads');
  await dropTenantTable(knex, 'notices');
}
