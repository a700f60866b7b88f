// Billing state per school, mirrored from Stripe, and the webhook events received (a platform
// table: events are matched to schools from Stripe's data, never from the Host header).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.text('plan');
    t.text('billing_status').notNullable().defaultTo('none');
    t.timestamp('trial_ends_at', { useTz: true });
    t.text('stripe_customer_id').unique();
    t.text('stripe_subscription_id');
    t.timestamp('current_period_end', { useTz: true });
    t.timestamp('past_due_since', { useTz: true });
    t.timestamp('billing_synced_at', { useTz: true });
  });
  await knex.raw(`alter table tenants add constraint tenants_billing_status check (billing_status in
    ('none', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'))`);

  await knex.schema.createTable('stripe_events', (t) => {
    t.text('id').primary();
    t.text('type').notNullable();
    // Not tenant_id: this is a platform table, outside row-level security by design.
    t.uuid('school_id').references('id').inTable('tenants').onDelete('SET NULL');
    t.jsonb('payload').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.text('error');
    t.index(['received_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('stripe_events');
  await knex.raw('alter table tenants drop constraint tenants_billing_status');
  await knex.schema.alterTable('tenants', (t) => {
    for (const c of [
      'plan',
      'billing_status',
      'trial_ends_at',
      'stripe_customer_id',
      'stripe_subscription_id',
      'current_period_end',
      'past_due_since',
      'billing_synced_at',
    ]) {
      t.dropColumn(c);
    }
  });
}
