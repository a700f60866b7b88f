// A school's subscription, mirrored from Stripe. Stripe is the source of truth: webhooks and
// `edify billing:sync` read the subscription's current state from Stripe (so events arriving out
// of order cannot leave an old state behind) and apply it in one platform transaction. Stripe is
// never called inside a database transaction.
import type { Knex } from 'knex';
import type Stripe from 'stripe';
import { beginTenantSession, isUuid, TENANT_FIELDS, withPlatform } from '../../tenants/session.ts';
import { audit } from '../audit/service.ts';
import { AppError, forbidden } from '../errors.ts';
import { enqueueMail, type Outbox } from '../jobs/outbox.ts';
import { type BillingStatus, createScope, type Scope, type Tenant } from '../scope.ts';
import { seatsInUse } from '../users/seats.ts';
import { accessOf } from './access.ts';
import { type Plan, planById, planByPrice } from './plans.ts';
import type { Billing } from './stripe.ts';

const STATUSES: BillingStatus[] = ['trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused'];

export type SubscriptionState = {
  subscriptionId: string;
  customerId: string;
  status: BillingStatus;
  priceId: string | null;
  currentPeriodEnd: Date | null;
  trialEnd: Date | null;
  schoolId: string | null;
};

/** Reads what matters from a subscription. With API 2026-10-28 billing periods live on the
 * subscription's items, not on the subscription. */
export function subscriptionState(sub: Stripe.Subscription): SubscriptionState {
  const item = sub.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const status = STATUSES.includes(sub.status as BillingStatus) ? (sub.status as BillingStatus) : 'incomplete';
  return {
    subscriptionId: sub.id,
    customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status,
    priceId: item?.price?.id ?? null,
    currentPeriodEnd: item?.current_period_end ? new Date(item.current_period_end * 1000) : null,
    trialEnd: sub.trial_end ? new Date(sub.trial_end * 1000) : null,
    schoolId: (sub.metadata?.school_id as string | undefined) ?? null,
  };
}

/** The school a subscription belongs to: the school id Edify put in its metadata, else its customer. */
export async function findSchoolFor(db: Knex | Knex.Transaction, state: Pick<SubscriptionState, 'customerId' | 'schoolId'>): Promise<Tenant | undefined> {
  if (state.schoolId && isUuid(state.schoolId)) {
    const bySchool = (await db('tenants').where({ id: state.schoolId }).first(TENANT_FIELDS)) as Tenant | undefined;
    if (bySchool) return bySchool;
  }
  return (await db('tenants').where({ stripe_customer_id: state.customerId }).first(TENANT_FIELDS)) as Tenant | undefined;
}

/** Applies Stripe's current state to the school, inside the caller's platform transaction. */
export type BillingNotice = { school: Tenant; admins: { email: string; first_name: string }[]; message: string };

const MESSAGES: Partial<Record<BillingStatus, string>> = {
  active: 'Your subscription is active. Thank you! Everyone has full access.',
  past_due: 'A payment failed. Everyone keeps full access for now; please update the payment method in Billing so nothing changes.',
  unpaid:
    'Payments have failed, so the school is now read-only: everyone can still sign in and download their work, but nothing new can be added. Update the payment method in Billing to restore access at once.',
  canceled:
    'The subscription has ended, so the school is now read-only: everyone can still sign in and download their work. Subscribe again in Billing to restore access.',
  incomplete_expired: 'The first payment did not go through, so the subscription was not started. You can try again in Billing.',
};

/** Applies Stripe's current state; returns who to email when the status changed. */
export async function applySubscription(
  db: Knex.Transaction,
  tenant: Tenant,
  state: SubscriptionState,
  plans: Plan[],
  now: Date,
  source: string,
  graceDays = 14,
): Promise<{ tenant: Tenant; notice: BillingNotice | undefined }> {
  const plan = planByPrice(plans, state.priceId);
  const pastDueSince = state.status === 'past_due' ? (tenant.past_due_since ?? now) : null;
  await db('tenants')
    .where({ id: tenant.id })
    .update({
      billing_status: state.status,
      stripe_customer_id: state.customerId,
      stripe_subscription_id: state.subscriptionId,
      current_period_end: state.currentPeriodEnd,
      trial_ends_at: state.trialEnd ?? tenant.trial_ends_at,
      past_due_since: pastDueSince,
      billing_synced_at: now,
      ...(plan ? { plan: plan.id, seat_limit: plan.seat_limit } : {}),
      // The status email below speaks for this change of access: recorded here, not again later.
      access_level: accessOf(
        { billing_status: state.status, trial_ends_at: state.trialEnd ?? tenant.trial_ends_at, past_due_since: pastDueSince },
        graceDays,
        now,
      ).level,
      updated_at: now,
    });
  const updated = await beginTenantSession(db, { id: tenant.id });
  let notice: BillingNotice | undefined;
  if (updated.billing_status !== tenant.billing_status || updated.plan !== tenant.plan) {
    const actor = { type: 'system' as const, label: source };
    const scope = createScope({ db, tenant: updated, actor });
    await audit(
      scope,
      'billing.status_changed',
      { type: 'tenant', id: tenant.id },
      { from: tenant.billing_status, to: updated.billing_status, plan: updated.plan },
    );
    const message = updated.billing_status !== tenant.billing_status ? MESSAGES[updated.billing_status] : undefined;
    if (message) notice = { school: updated, admins: await adminsOf(db), message };
  }
  return { tenant: updated, notice };
}

/** The school's active admins (inside its tenant session). */
export async function adminsOf(db: Knex.Transaction): Promise<{ email: string; first_name: string }[]> {
  return db('users').where({ role: 'admin', status: 'active' }).select('email', 'first_name');
}

/** Queues the notice to every admin, in the transaction that made the change (the outbox):
 * `db` must be inside the school's tenant session. */
export async function queueBillingNotice(db: Knex.Transaction, outbox: Outbox | undefined, notice: BillingNotice, siteUrl: string): Promise<void> {
  const scope = { db, tenant: notice.school, outbox };
  for (const admin of notice.admins) {
    await enqueueMail(scope, {
      to: admin.email,
      template: 'billing-notice',
      data: { first_name: admin.first_name, school_name: notice.school.name, message: notice.message, billing_url: `${siteUrl}/billing` },
    });
  }
}

/** Re-reads the school's subscription from Stripe and fixes local state (operators, webhooks). */
export async function syncFromStripe(
  owner: Knex,
  billing: Billing,
  tenant: Tenant & { stripe_subscription_id?: string | null },
  plans: Plan[],
  now: Date,
  graceDays = 14,
) {
  const row = await owner('tenants').where({ id: tenant.id }).first('stripe_subscription_id');
  if (!row?.stripe_subscription_id) throw new AppError('conflict', 'This school has no Stripe subscription yet.');
  const sub = await billing.call((stripe) => stripe.subscriptions.retrieve(row.stripe_subscription_id));
  const state = subscriptionState(sub);
  return withPlatform(owner, async (db) => {
    const current = (await db('tenants').where({ id: tenant.id }).forUpdate().first(TENANT_FIELDS)) as Tenant | undefined;
    if (!current) throw new AppError('not-found', 'The school was not found.');
    return (await applySubscription(db, current, state, plans, now, 'billing-sync', graceDays)).tenant;
  });
}

export type BillingSummary = {
  plan: { id: string; name: string; seat_limit: number | null; features: string[] } | null;
  status: BillingStatus;
  access: 'full' | 'read_only';
  notice: string | null;
  seats: { used: number; limit: number | null };
  trial_ends_at: string | null;
  current_period_end: string | null;
  past_due_since: string | null;
};

export async function billingSummary(scope: Scope, plans: Plan[], graceDays: number, now: Date): Promise<BillingSummary> {
  if (scope.ability.cannot('manage', 'Billing')) throw forbidden('Only school admins see billing.');
  const t = scope.tenant;
  const plan = planById(plans, t.plan);
  const access = accessOf(t, graceDays, now);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    plan: plan ? { id: plan.id, name: plan.name, seat_limit: plan.seat_limit, features: plan.features } : null,
    status: t.billing_status,
    access: access.level,
    notice: access.banner,
    seats: { used: await seatsInUse(scope), limit: t.seat_limit },
    trial_ends_at: iso(t.trial_ends_at),
    current_period_end: iso(t.current_period_end),
    past_due_since: iso(t.past_due_since),
  };
}

/** The school's Stripe customer, created once (idempotency key per school) and remembered. */
export async function ensureCustomer(owner: Knex, billing: Billing, tenant: Tenant, adminEmail: string): Promise<string> {
  const row = await owner('tenants').where({ id: tenant.id }).first('stripe_customer_id');
  if (row?.stripe_customer_id) return row.stripe_customer_id;
  const customer = await billing.call((stripe) =>
    stripe.customers.create(
      { name: tenant.name, email: adminEmail, metadata: { school_id: tenant.id, slug: tenant.slug } },
      { idempotencyKey: `edify-customer-${tenant.id}` },
    ),
  );
  await owner('tenants').where({ id: tenant.id }).whereNull('stripe_customer_id').update({ stripe_customer_id: customer.id });
  const stored = await owner('tenants').where({ id: tenant.id }).first('stripe_customer_id');
  return stored.stripe_customer_id;
}

export async function createCheckout(
  owner: Knex,
  billing: Billing,
  tenant: Tenant,
  input: { plan: Plan; adminEmail: string; siteUrl: string; requestId: string },
): Promise<{ url: string }> {
  const customer = await ensureCustomer(owner, billing, tenant, input.adminEmail);
  const session = await billing.call((stripe) =>
    stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: tenant.id,
        line_items: [{ price: input.plan.stripe_price_id, quantity: 1 }],
        metadata: { school_id: tenant.id, plan: input.plan.id },
        subscription_data: { metadata: { school_id: tenant.id, plan: input.plan.id } },
        success_url: `${input.siteUrl}/billing?checkout=done`,
        cancel_url: `${input.siteUrl}/billing?checkout=cancelled`,
      },
      { idempotencyKey: `edify-checkout-${tenant.id}-${input.requestId}` },
    ),
  );
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout page.');
  return { url: session.url };
}

export async function createPortal(owner: Knex, billing: Billing, tenant: Tenant, input: { adminEmail: string; siteUrl: string }): Promise<{ url: string }> {
  const customer = await ensureCustomer(owner, billing, tenant, input.adminEmail);
  const session = await billing.call((stripe) => stripe.billingPortal.sessions.create({ customer, return_url: `${input.siteUrl}/billing` }));
  return { url: session.url };
}

export type NextInvoice = { amount_due: number; currency: string; next_payment_attempt: string | null } | null;

/** The upcoming renewal, from Stripe. Billing pages still answer when Stripe does not: null. */
export async function nextInvoice(owner: Knex, billing: Billing | undefined, tenantId: string): Promise<NextInvoice> {
  if (!billing) return null;
  const row = await owner('tenants').where({ id: tenantId }).first('stripe_subscription_id', 'billing_status');
  if (!row?.stripe_subscription_id || ['canceled', 'incomplete_expired'].includes(row.billing_status)) return null;
  try {
    const preview = await billing.call((stripe) => stripe.invoices.createPreview({ subscription: row.stripe_subscription_id }));
    return {
      amount_due: preview.amount_due,
      currency: preview.currency,
      next_payment_attempt: preview.next_payment_attempt ? new Date(preview.next_payment_attempt * 1000).toISOString() : null,
    };
  } catch {
    return null;
  }
}
