// Paid enrolment through Stripe Checkout on the school's own connected account (Connect: every
// call carries `Stripe-Account`; the platform keeps `application_fee_amount`). The webhook shares
// billing's signature check and event dedup (api/billing/webhooks.ts) and is order-safe the same
// way: whatever event arrives, the payment is re-read from Stripe and its current state applied.
// States only move forward (pending → paid → refunded/disputed), so a late "completed" after a
// refund never enrols again, and a redelivered one never enrols twice.
import type { Knex } from 'knex';
import type Stripe from 'stripe';
import { beginTenantSession, isUuid, TENANT_FIELDS } from '../../tenants/session.ts';
import { audit } from '../audit/service.ts';
import type { Billing } from '../billing/stripe.ts';
import { alreadyProcessed, recordOnce, type WebhookOutcome } from '../billing/webhooks.ts';
import { Enrollment } from '../classes/model.ts';
import { AppError } from '../errors.ts';
import { enqueueMail, type Outbox } from '../jobs/outbox.ts';
import { createScope, type Scope, type Tenant } from '../scope.ts';
import type { PaymentStatus } from './model.ts';
import { formatPrice } from './present.ts';
import type { Hold } from './service.ts';

export const COURSE_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.dispute.created',
];

/** The platform's fee for a price, from COURSE_PLATFORM_FEE_PERCENT (rounded to the minor unit). */
export function applicationFee(amount: number, percent: number): number {
  return Math.round((amount * percent) / 100);
}

/** Step two, after the hold has committed: the Checkout Session on the school's account. The
 * idempotency key is the hold, so a retried request gets the same session. */
export async function createCourseCheckout(
  billing: Billing,
  input: { hold: Hold; tenant: Tenant; classId: string; account: string; feePercent: number; siteUrl: string },
): Promise<{ id: string; url: string }> {
  const { hold, tenant } = input;
  const metadata = { school_id: tenant.id, class_id: input.classId, user_id: hold.userId, payment_id: hold.paymentId, kind: 'course' };
  const session = await billing.call((stripe) =>
    stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: hold.currency, unit_amount: hold.amount, product_data: { name: hold.name } } }],
        payment_intent_data: { application_fee_amount: applicationFee(hold.amount, input.feePercent), metadata },
        metadata,
        client_reference_id: hold.paymentId,
        ...(hold.email ? { customer_email: hold.email } : {}),
        // Stripe's minimum is 30 minutes; the place is held a minute longer than the page lives.
        expires_at: Math.floor(hold.expiresAt.getTime() / 1000) - 60,
        success_url: `${input.siteUrl}/catalogue/${input.classId}/paid?payment=${hold.paymentId}`,
        cancel_url: `${input.siteUrl}/catalogue/${input.classId}`,
      },
      { stripeAccount: input.account, idempotencyKey: `edify-course-${hold.paymentId}` },
    ),
  );
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout page.');
  return { id: session.id, url: session.url };
}

type PaymentState = { status: PaymentStatus; paymentIntentId: string | null; metadata: Record<string, string>; amount: number | null };

/** Stripe's current state of the payment an event is about (read from the connected account). */
async function currentState(billing: Billing, event: Stripe.Event, account: string): Promise<PaymentState | undefined> {
  const object = event.data.object as unknown as Record<string, unknown>;
  const options = { stripeAccount: account };
  let session: Stripe.Checkout.Session | undefined;
  let intent: Stripe.PaymentIntent | undefined;
  if (event.type.startsWith('checkout.session.')) {
    session = await billing.call((stripe) => stripe.checkout.sessions.retrieve(object.id as string, { expand: ['payment_intent.latest_charge'] }, options));
    intent = typeof session.payment_intent === 'object' && session.payment_intent ? session.payment_intent : undefined;
  } else {
    const ref = object.payment_intent as string | { id: string } | null;
    const id = typeof ref === 'string' ? ref : ref?.id;
    if (!id) return undefined;
    intent = await billing.call((stripe) => stripe.paymentIntents.retrieve(id, { expand: ['latest_charge'] }, options));
  }
  const metadata = { ...(session?.metadata ?? {}), ...(intent?.metadata ?? {}) } as Record<string, string>;
  if (metadata.kind !== 'course') return undefined;
  const charge = intent && typeof intent.latest_charge === 'object' ? intent.latest_charge : undefined;
  let status: PaymentStatus = 'pending';
  if (intent?.status === 'succeeded') status = charge?.disputed ? 'disputed' : charge?.refunded ? 'refunded' : 'paid';
  else if (session?.status === 'expired') status = 'expired';
  return { status, paymentIntentId: intent?.id ?? null, metadata, amount: intent?.amount_received ?? null };
}

const RANK: Record<PaymentStatus, number> = { pending: 0, expired: 1, paid: 2, refunded: 3, disputed: 3 };

/** A connected-account webhook event (already verified). */
export async function handleCourseEvent(
  owner: Knex,
  billing: Billing,
  event: Stripe.Event,
  now: Date,
  outbox: Outbox | undefined,
  siteUrl: (slug: string) => string,
): Promise<WebhookOutcome> {
  if (await alreadyProcessed(owner, event.id)) return { received: true, duplicate: true };
  const account = (event as Stripe.Event & { account?: string }).account;
  const state = account && COURSE_EVENTS.includes(event.type) ? await currentState(billing, event, account) : undefined;
  return recordOnce(
    owner,
    event,
    now,
    async (db) => {
      if (!state || !account) return undefined;
      const tenant = (await db('tenants').where({ stripe_account_id: account }).first(TENANT_FIELDS)) as Tenant | undefined;
      if (!tenant) throw new AppError('not-found', `No school has Stripe account ${account} connected.`);
      // The metadata must agree with the account that sent it: another school's ids are ignored.
      return state.metadata.school_id === tenant.id ? tenant : undefined;
    },
    async (db, tenant) => {
      if (!state || !tenant || !isUuid(state.metadata.payment_id ?? '')) return { received: true, ignored: true };
      const school = await beginTenantSession(db, { id: tenant.id });
      const actor = { type: 'system' as const, label: `stripe:${event.type}` };
      const scope = createScope({ db, tenant: school, actor, outbox, clock: () => now });
      await applyPayment(scope, state, siteUrl(school.slug));
      return { received: true, school: school.slug };
    },
  );
}

async function applyPayment(scope: Scope, state: PaymentState, siteUrl: string): Promise<void> {
  const { db } = scope;
  const at = scope.clock?.() ?? new Date();
  const payment = await db('course_payments').where({ id: state.metadata.payment_id }).forUpdate().first();
  if (!payment || payment.class_id !== state.metadata.class_id || payment.user_id !== state.metadata.user_id) return;
  const from = payment.status as PaymentStatus;
  if (RANK[state.status] <= RANK[from]) return; // nothing new, or older than what we know
  await db('course_payments')
    .where({ id: payment.id })
    .update({
      status: state.status,
      payment_intent_id: state.paymentIntentId ?? payment.payment_intent_id,
      ...(state.status === 'paid' ? { paid_at: at } : {}),
      ...(state.status === 'refunded' || state.status === 'disputed' ? { ended_at: at } : {}),
      updated_at: at,
    });
  const target = { type: 'class', id: payment.class_id };
  if (state.status === 'paid') {
    const enrolled = await Enrollment.query(db).findOne({ class_id: payment.class_id, user_id: payment.user_id });
    if (!enrolled) await Enrollment.query(db).insert({ tenant_id: scope.tenant.id, class_id: payment.class_id, user_id: payment.user_id, role: 'student' });
    await audit(scope, 'enrolment.paid', target, { user_id: payment.user_id, payment_id: payment.id, amount: payment.amount, currency: payment.currency });
    await receipt(scope, payment, siteUrl);
  } else if (state.status === 'refunded' || state.status === 'disputed') {
    // Only a payment that had enrolled the learner takes the place away.
    const removed = from === 'paid' ? await Enrollment.query(db).delete().where({ class_id: payment.class_id, user_id: payment.user_id, role: 'student' }) : 0;
    await audit(scope, 'enrolment.ended', target, { user_id: payment.user_id, payment_id: payment.id, reason: state.status, removed: removed > 0 });
  }
}

async function receipt(scope: Scope, payment: { id: string; class_id: string; user_id: string; amount: number; currency: string }, siteUrl: string) {
  if (!scope.outbox) return;
  const user = await scope.db('users').where({ id: payment.user_id }).first('email', 'first_name');
  const klass = await scope.db('classes').where({ id: payment.class_id }).first('name');
  if (!user || !klass) return;
  await enqueueMail(scope, {
    to: user.email,
    template: 'notification',
    data: {
      first_name: user.first_name,
      school_name: scope.tenant.name,
      title: `Receipt: ${klass.name}`,
      body: `We received your payment of ${formatPrice(payment.amount, payment.currency)} for ${klass.name}, and you are enrolled. Payment reference: ${payment.id}.`,
      link_url: `${siteUrl}/classes/${payment.class_id}`,
    },
  });
}
