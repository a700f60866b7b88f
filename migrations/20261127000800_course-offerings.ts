// Catalogue and self-enrolment (issue #18 items 5-6, api/enrolment/): one offering per class
// (open for self-enrolment, dates, cap, optional price), the payments learners make for priced
// offerings through the school's own connected Stripe account, and that account's id on the
// school (a platform column: webhooks find the school from Stripe's `account`, never the Host).
import type { Knex } from 'knex';
import { APP_ROLE, createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.text('stripe_account_id').unique();
  });
  await knex.raw(`grant update (stripe_account_id) on tenants to ${APP_ROLE}`);

  await createTenantTable(knex, 'course_offerings', (t) => {
    t.uuid('class_id').notNullable();
    t.boolean('self_enrol').notNullable().defaultTo(false);
    t.timestamp('opens_at', { useTz: true });
    t.timestamp('closes_at', { useTz: true });
    t.integer('cap');
    /** In the currency's smallest unit (cents); null: free. */
    t.integer('price_amount');
    t.text('currency');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'class_id'], { indexName: 'course_offerings_class' });
  });
  await knex.raw(
    'alter table course_offerings add constraint course_offerings_class_fk foreign key (tenant_id, class_id) references classes (tenant_id, id) on delete cascade',
  );
  await knex.raw(`alter table course_offerings add constraint course_offerings_cap check (cap is null or cap > 0)`);
  await knex.raw(`alter table course_offerings add constraint course_offerings_dates check (opens_at is null or closes_at is null or opens_at < closes_at)`);
  await knex.raw(
    `alter table course_offerings add constraint course_offerings_price check ((price_amount is null and currency is null) or (price_amount > 0 and currency ~ '^[a-z]{3}$'))`,
  );

  await createTenantTable(knex, 'course_payments', (t) => {
    t.uuid('class_id').notNullable();
    t.uuid('user_id').notNullable();
    /** Set once Stripe has made the Checkout Session (after the hold commits). */
    t.text('checkout_session_id');
    t.text('checkout_url');
    t.text('payment_intent_id');
    t.integer('amount').notNullable();
    t.text('currency').notNullable();
    t.integer('application_fee').notNullable().defaultTo(0);
    t.text('status').notNullable().defaultTo('pending');
    /** A pending payment holds a place (counts toward the cap) until its Checkout expires. */
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('paid_at', { useTz: true });
    t.timestamp('ended_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'checkout_session_id'], { indexName: 'course_payments_session' });
  });
  await knex.raw(`alter table course_payments add constraint course_payments_status check (status in ('pending', 'paid', 'refunded', 'disputed', 'expired'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'course_payments');
  await dropTenantTable(knex, 'course_offerings');
  await knex.raw(`revoke update (stripe_account_id) on tenants from ${APP_ROLE}`);
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('stripe_account_id');
  });
}
