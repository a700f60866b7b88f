// Stripe webhooks, on the platform host. The signature is checked against the raw bytes with
// every configured secret (rotation); each event is stored under its unique id so a redelivery is
// a no-op; the school comes from Stripe's data, never from the Host header; and the subscription
// is re-read from Stripe, so events arriving out of order still end in Stripe's current state.
import type { Knex } from 'knex';
import type Stripe from 'stripe';
import { withPlatform } from '../../tenants/session.ts';
import { AppError } from '../errors.ts';
import type { Tenant } from '../scope.ts';
import type { Plan } from './plans.ts';
import { adminsOf, applySubscription, type BillingNotice, findSchoolFor, subscriptionState } from './service.ts';
import type { Billing } from './stripe.ts';

export const HANDLED = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.trial_will_end',
];

export async function verifyEvent(billing: Billing, raw: Buffer, signature: string, secrets: string[]): Promise<Stripe.Event> {
  if (secrets.length === 0) throw new AppError('unavailable', 'Webhooks are not set up on this server (STRIPE_WEBHOOK_SECRET is missing).');
  const stripe = await billing.client();
  for (const secret of secrets) {
    try {
      return stripe.webhooks.constructEvent(raw, signature, secret);
    } catch {
      // try the next secret: during rotation both are valid
    }
  }
  throw new AppError('bad-request', 'The Stripe-Signature does not match this payload (wrong secret, changed body, or too old).');
}

/** The subscription an event is about, if any. Recent API versions reference it from invoices
 * under parent.subscription_details. */
function subscriptionIdOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as unknown as Record<string, unknown>;
  if (event.type.startsWith('customer.subscription.')) return object.id as string;
  if (event.type === 'checkout.session.completed') return (object.subscription as string | null) ?? undefined;
  if (event.type.startsWith('invoice.')) {
    const parent = object.parent as { subscription_details?: { subscription?: string | { id: string } } } | undefined;
    const ref = parent?.subscription_details?.subscription ?? (object.subscription as string | { id: string } | undefined);
    return typeof ref === 'string' ? ref : ref?.id;
  }
  return undefined;
}

export type WebhookOutcome = { received: true; duplicate?: boolean; ignored?: boolean; school?: string };

/** Queues the notice inside the transaction that applied the change (db is in the school's
 * tenant session), so the email commits with it. */
export type Notify = (db: Knex.Transaction, notice: BillingNotice) => Promise<void>;

export async function handleEvent(
  owner: Knex,
  billing: Billing,
  event: Stripe.Event,
  plans: Plan[],
  now: Date,
  notify?: Notify,
  graceDays = 14,
): Promise<WebhookOutcome> {
  return recordAndApply(owner, billing, event, plans, now, graceDays, async (db, n) => {
    if (notify) await notify(db, n);
  });
}

async function recordAndApply(
  owner: Knex,
  billing: Billing,
  event: Stripe.Event,
  plans: Plan[],
  now: Date,
  graceDays: number,
  onNotice: Notify,
): Promise<WebhookOutcome> {
  if (await alreadyProcessed(owner, event.id)) return { received: true, duplicate: true };

  // Stripe first (outside any transaction), then one short transaction for the record and the change.
  const subscriptionId = HANDLED.includes(event.type) ? subscriptionIdOf(event) : undefined;
  const subscription = subscriptionId ? await billing.call((stripe) => stripe.subscriptions.retrieve(subscriptionId)) : undefined;
  const state = subscription ? subscriptionState(subscription) : undefined;

  return recordOnce(
    owner,
    event,
    now,
    async (db) => {
      const tenant = state ? await findSchoolFor(db, state) : undefined;
      if (state && !tenant) throw new AppError('not-found', `No school matches Stripe customer ${state.customerId}.`);
      return tenant;
    },
    async (db, tenant) => {
      if (!state || !tenant) return { received: true, ignored: true };
      await db('tenants').where({ id: tenant.id }).forUpdate().first('id');
      const applied = await applySubscription(db, tenant, state, plans, now, `stripe:${event.type}`, graceDays);
      if (applied.notice) await onNotice(db, applied.notice);
      else if (event.type === 'customer.subscription.trial_will_end' && state.trialEnd) {
        await onNotice(db, {
          school: applied.tenant,
          admins: await adminsOf(db),
          message: `The free trial ends on ${state.trialEnd.toISOString().slice(0, 10)}. Add a payment method in Billing to keep full access after that.`,
        });
      }
      return { received: true, school: tenant.slug };
    },
  );
}

/** Whether this event id was processed already (a redelivery): checked before calling Stripe. */
export async function alreadyProcessed(owner: Knex, eventId: string): Promise<boolean> {
  const seen = await owner('stripe_events').where({ id: eventId }).first('processed_at');
  return Boolean(seen?.processed_at);
}

/** The event-dedup mechanism every Stripe webhook shares (subscriptions here, course payments in
 * api/enrolment/payments.ts): the event is stored under its id and `apply` runs once, in one
 * platform transaction. A redelivery, or the same event racing itself, finds it processed and does
 * nothing. `school` names the school it belongs to, recorded before `apply` (which drops to the app
 * role, and that role cannot touch this platform table); throwing rolls everything back, so Stripe
 * delivers the event again later. */
export async function recordOnce(
  owner: Knex,
  event: Stripe.Event,
  now: Date,
  school: (db: Knex.Transaction) => Promise<Tenant | undefined>,
  apply: (db: Knex.Transaction, tenant: Tenant | undefined) => Promise<WebhookOutcome>,
): Promise<WebhookOutcome> {
  return withPlatform(owner, async (db) => {
    const inserted = await db.raw(
      `insert into stripe_events (id, type, payload) values (?, ?, ?) on conflict (id) do update set id = excluded.id
       where stripe_events.processed_at is null returning id`,
      [event.id, event.type, JSON.stringify(event)],
    );
    if (inserted.rows.length === 0) return { received: true, duplicate: true };
    const lock = await db('stripe_events').where({ id: event.id }).forUpdate().first('processed_at');
    if (lock?.processed_at) return { received: true, duplicate: true };
    const tenant = await school(db);
    await db('stripe_events')
      .where({ id: event.id })
      .update({ processed_at: now, error: null, school_id: tenant?.id ?? null });
    return apply(db, tenant);
  });
}
