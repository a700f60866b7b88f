// Stripe webhooks for tests: events signed with the real `stripe` package's test signer (so the code under
// test verifies them with `stripe.webhooks.constructEvent` exactly as in production), and builders for the
// objects those events carry, shaped like API version 2026-10-28.endive (the version stripe@23 pins):
//  - billing periods live on subscription ITEMS (`items.data[].current_period_start/_end`); the subscription
//    itself has no `current_period_*` since 2025-03-31.basil;
//  - an invoice names its subscription under `parent.subscription_details.subscription` (and each line under
//    `parent.subscription_item_details.subscription`); `invoice.subscription` and `invoice.paid` are gone:
//    "paid" is `status: 'paid'` (with `amount_paid`, `amount_remaining: 0`, `status_transitions.paid_at`).
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { CheckoutSession, Invoice, Price, Subscription, SubscriptionStatus } from './stripe-server.ts';

/** The API version stripe@23 pins, and so the `api_version` of the events it should receive. */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DAY = 24 * 60 * 60;

/** A Stripe-looking id: `prefix_` and `length` random base-62 characters (`stripeId('cus', 14)`). */
export function stripeId(prefix: string, length = 24): string {
  let id = '';
  for (const byte of randomBytes(length)) id += ALPHABET.charAt(byte % ALPHABET.length);
  return `${prefix}_${id}`;
}

const now = (): number => Math.floor(Date.now() / 1000);

/** The same instant one interval later (or earlier, with `by = -1`), in Unix seconds, the way Stripe steps periods. */
export function addInterval(seconds: number, interval: 'month' | 'year', by = 1): number {
  const date = new Date(seconds * 1000);
  if (interval === 'year') date.setUTCFullYear(date.getUTCFullYear() + by);
  else date.setUTCMonth(date.getUTCMonth() + by);
  return Math.floor(date.getTime() / 1000);
}

/**
 * A webhook delivery: `body` is the exact string that was signed (pretty-printed with two spaces, as Stripe
 * sends it, so a handler that re-serializes parsed JSON instead of using the raw body fails verification) and
 * `signature` the `Stripe-Signature` header (`t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`).
 * `timestamp` is in Unix seconds and defaults to now; the package treats 0 as "now" too.
 */
export function signedWebhook(payload: object, secret: string, options: { timestamp?: number } = {}): { body: string; signature: string } {
  const body = JSON.stringify(payload, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: options.timestamp });
  return { body, signature };
}

export type StripeEvent = {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  /** Set on events from a connected account, delivered to a Connect endpoint. */
  account?: string;
};

/**
 * A snapshot event as delivered to a webhook endpoint. `previousAttributes` becomes `data.previous_attributes`
 * (Stripe sends it on `*.updated` events: the changed fields' old values). `account` marks an event from a connected
 * account (Connect endpoints receive those).
 */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  options: { id?: string; created?: number; previousAttributes?: Record<string, unknown>; account?: string } = {},
): StripeEvent {
  return {
    ...(options.account ? { account: options.account } : {}),
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: options.created ?? now(),
    type,
    data: options.previousAttributes ? { object, previous_attributes: options.previousAttributes } : { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
  };
}

/** A recurring price as embedded in subscription items. */
export function priceObject(options: { id: string; interval?: 'month' | 'year'; unitAmount?: number; currency?: string; created?: number }): Price {
  const interval = options.interval ?? 'month';
  return {
    id: options.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: options.created ?? now() - 90 * DAY,
    currency: options.currency ?? 'usd',
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: `prod_${options.id.replace(/^price_/, '').slice(0, 14) || 'edify'}`,
    recurring: { interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    type: 'recurring',
    unit_amount: options.unitAmount ?? 5000,
    unit_amount_decimal: String(options.unitAmount ?? 5000),
  };
}

export type SubscriptionObjectOptions = {
  id: string;
  customer: string;
  status: SubscriptionStatus;
  /** Becomes `metadata.school_id`; without it `metadata` is empty. */
  schoolId?: string;
  /** Default `price_edify_standard`. */
  priceId?: string;
  /** Unix seconds; default now. */
  created?: number;
  /** End of the current period (Unix seconds); default one interval after `created`. The period starts one interval earlier (never before `created`). */
  periodEnd?: number;
  interval?: 'month' | 'year';
  quantity?: number;
  unitAmount?: number;
  cancelAtPeriodEnd?: boolean;
  trialEnd?: number | null;
  latestInvoice?: string | null;
};

/** A subscription as the API returns it in 2026-10-28: one licensed item, periods on the item. */
export function subscriptionObject(options: SubscriptionObjectOptions): Subscription {
  const interval = options.interval ?? 'month';
  const created = options.created ?? now();
  const periodEnd = options.periodEnd ?? addInterval(created, interval);
  const periodStart = Math.max(created, addInterval(periodEnd, interval, -1));
  const trialEnd = options.trialEnd ?? (options.status === 'trialing' ? periodEnd : null);
  const canceled = options.status === 'canceled' || options.status === 'incomplete_expired';
  const cancelAtPeriodEnd = options.cancelAtPeriodEnd ?? false;
  return {
    id: options.id,
    object: 'subscription',
    application: null,
    billing_cycle_anchor: periodStart,
    cancel_at: cancelAtPeriodEnd ? periodEnd : null,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: canceled ? periodStart : null,
    cancellation_details: { comment: null, feedback: null, reason: canceled ? 'cancellation_requested' : null },
    collection_method: 'charge_automatically',
    created,
    currency: 'usd',
    customer: options.customer,
    days_until_due: null,
    default_payment_method: null,
    description: null,
    discounts: [],
    ended_at: canceled ? periodStart : null,
    items: {
      object: 'list',
      data: [
        {
          id: stripeId('si', 14),
          object: 'subscription_item',
          billing_thresholds: null,
          created,
          current_period_end: periodEnd,
          current_period_start: periodStart,
          discounts: [],
          metadata: {},
          price: priceObject({ id: options.priceId ?? 'price_edify_standard', interval, unitAmount: options.unitAmount }),
          quantity: options.quantity ?? 1,
          subscription: options.id,
          tax_rates: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/subscription_items?subscription=${options.id}`,
    },
    latest_invoice: options.latestInvoice ?? null,
    livemode: false,
    metadata: options.schoolId ? { school_id: options.schoolId } : {},
    pause_collection: null,
    schedule: null,
    start_date: created,
    status: options.status,
    test_clock: null,
    trial_end: trialEnd,
    trial_start: trialEnd === null ? null : created,
  };
}

export type InvoiceObjectOptions = {
  id: string;
  customer: string;
  /** The subscription that generated the invoice (`parent.subscription_details.subscription`); null for a one-off invoice. */
  subscription: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  /** Default `status === 'paid'`. There is no `paid` field in this API version: this sets `amount_paid`, `amount_remaining` and `status_transitions.paid_at`. */
  paid?: boolean;
  /** In the currency's minor unit; default 5000. */
  amount_due?: number;
  currency?: string;
  /** Unix seconds; default now. */
  created?: number;
  /** The period the line item covers; default `created` to one month later. */
  periodStart?: number;
  periodEnd?: number;
  schoolId?: string;
  priceId?: string;
  billingReason?: 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual';
};

/** An invoice as the API returns it in 2026-10-28 (subscription reference under `parent`, no `paid`). */
export function invoiceObject(options: InvoiceObjectOptions): Invoice {
  const created = options.created ?? now();
  const amountDue = options.amount_due ?? 5000;
  const currency = options.currency ?? 'usd';
  const paid = options.paid ?? options.status === 'paid';
  const lineStart = options.periodStart ?? created;
  const lineEnd = options.periodEnd ?? addInterval(lineStart, 'month');
  const finalized = options.status !== 'draft';
  const metadata: Record<string, string> = options.schoolId ? { school_id: options.schoolId } : {};
  const priceId = options.priceId ?? 'price_edify_standard';
  const hosted = finalized ? `https://invoice.stripe.test/i/acct_edifytest/test_${options.id}` : null;
  return {
    id: options.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Edify',
    amount_due: amountDue,
    amount_overpaid: 0,
    amount_paid: paid ? amountDue : 0,
    amount_remaining: paid ? 0 : amountDue,
    amount_shipping: 0,
    attempt_count: finalized && options.status !== 'void' ? 1 : 0,
    attempted: finalized && options.status !== 'void',
    auto_advance: options.status === 'draft' || options.status === 'open',
    billing_reason: options.billingReason ?? (options.subscription ? 'subscription_cycle' : 'manual'),
    collection_method: 'charge_automatically',
    created,
    currency,
    customer: options.customer,
    customer_email: null,
    customer_name: null,
    default_payment_method: null,
    description: null,
    discounts: [],
    due_date: null,
    effective_at: finalized ? created : null,
    hosted_invoice_url: hosted,
    invoice_pdf: hosted ? `${hosted}/pdf` : null,
    lines: {
      object: 'list',
      data: [
        {
          id: stripeId('il', 24),
          object: 'line_item',
          amount: amountDue,
          currency,
          description: `1 × Edify (at ${(amountDue / 100).toFixed(2)} ${currency.toUpperCase()} / month)`,
          discount_amounts: [],
          discountable: true,
          discounts: [],
          invoice: options.id,
          livemode: false,
          metadata,
          parent: options.subscription
            ? {
                type: 'subscription_item_details',
                invoice_item_details: null,
                subscription_item_details: {
                  invoice_item: null,
                  proration: false,
                  proration_details: { credited_items: null },
                  subscription: options.subscription,
                  subscription_item: stripeId('si', 14),
                },
              }
            : null,
          period: { start: lineStart, end: lineEnd },
          pretax_credit_amounts: [],
          pricing: { type: 'price_details', price_details: { price: priceId, product: 'prod_edify' }, unit_amount_decimal: String(amountDue) },
          quantity: 1,
          subscription: options.subscription,
          subtotal: amountDue,
          taxes: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: `/v1/invoices/${options.id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: options.status === 'open' && !paid ? created + 3 * DAY : null,
    number: finalized ? `EDIFY-${options.id.slice(-4).toUpperCase()}-0001` : null,
    parent: options.subscription
      ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata, subscription: options.subscription } }
      : null,
    period_end: created,
    period_start: created,
    status: options.status,
    status_transitions: {
      finalized_at: finalized ? created : null,
      marked_uncollectible_at: options.status === 'uncollectible' ? created : null,
      paid_at: paid ? created : null,
      voided_at: options.status === 'void' ? created : null,
    },
    subtotal: amountDue,
    subtotal_excluding_tax: amountDue,
    test_clock: null,
    total: amountDue,
    total_excluding_tax: amountDue,
    total_taxes: [],
  };
}

export type CheckoutSessionObjectOptions = {
  id: string;
  customer: string;
  subscription: string | null;
  /** Becomes `client_reference_id` and `metadata.school_id`. */
  schoolId: string;
  /** Default `complete`/`paid`: what `checkout.session.completed` carries for a subscription sign-up. */
  status?: 'open' | 'complete' | 'expired';
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  created?: number;
};

/** A subscription-mode Checkout Session, by default completed (as in `checkout.session.completed`). */
export function checkoutSessionObject(options: CheckoutSessionObjectOptions): CheckoutSession {
  const created = options.created ?? now();
  const status = options.status ?? 'complete';
  return {
    id: options.id,
    object: 'checkout.session',
    amount_subtotal: 5000,
    amount_total: 5000,
    cancel_url: null,
    client_reference_id: options.schoolId,
    created,
    currency: 'usd',
    customer: options.customer,
    customer_email: null,
    expires_at: created + DAY,
    invoice: null,
    livemode: false,
    metadata: { school_id: options.schoolId },
    mode: 'subscription',
    payment_intent: null,
    payment_status: options.paymentStatus ?? (status === 'complete' ? 'paid' : 'unpaid'),
    status,
    subscription: options.subscription,
    success_url: null,
    ui_mode: 'hosted',
    url: status === 'open' ? `https://checkout.stripe.test/c/pay/${options.id}` : null,
  };
}
