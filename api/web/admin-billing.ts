// /admin/billing: the plan, seats used and allowed, the next invoice, what the school's billing
// state means (trial, past due, read-only), a Stripe Checkout per plan and the Stripe customer
// portal, through api/billing. Stripe is asked only after the request's transaction has closed
// (`afterCommit`), as the API does. `/billing` is where Stripe sends the admin back (Checkout's
// success and cancel URLs, the portal's return URL, the billing emails' link): it leads here.
import { z } from 'zod';
import { accessOf } from '../billing/access.ts';
import { planById } from '../billing/plans.ts';
import { billingSummary, createCheckout, createPortal, nextInvoice } from '../billing/service.ts';
import { requireBilling } from '../billing/stripe.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { now } from '../scope.ts';
import { page, pageRoute } from './page.ts';
import { formatWhen } from './render.ts';
import { phrase } from './words.ts';

const access = { action: 'manage', subject: 'Billing' } as const;
const returnQuery = z.object({ checkout: z.enum(['done', 'cancelled']).optional() });

/** "$50.00" from Stripe's smallest unit, with the currency's own number of decimals. */
export function money(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

const STATUS_WORDS: Record<string, string> = {
  none: 'billing.status.none',
  trialing: 'billing.status.trialing',
  active: 'billing.status.active',
  past_due: 'billing.status.past_due',
  unpaid: 'billing.status.unpaid',
  canceled: 'billing.status.canceled',
  incomplete: 'billing.status.incomplete',
  incomplete_expired: 'billing.status.canceled',
  paused: 'billing.status.canceled',
};

export const adminBillingPages = [
  pageRoute({
    method: 'get',
    path: '/admin/billing',
    summary: 'Billing (admins): plan, seats, next invoice, checkout and the Stripe customer portal',
    access,
    allowReadOnly: true,
    query: returnQuery,
    handler: async ({ scope, deps, query }) => {
      const at = now(scope);
      const summary = await billingSummary(scope, deps.plans, deps.config.billingGraceDays, at);
      const state = accessOf(scope.tenant, deps.config.billingGraceDays, at);
      const tenantId = scope.tenant.id;
      const zone = scope.tenant.timezone;
      const day = (iso: string | null) => (iso ? formatWhen(iso, zone).replace(/,.*$/, '') : undefined);
      const status = summary.status;
      const subscribed = ['active', 'past_due', 'unpaid'].includes(status);
      return {
        // Stripe is asked after the transaction: a slow Stripe never holds a connection.
        afterCommit: async () => {
          const invoice = await nextInvoice(deps.dbs.owner, deps.billing, tenantId);
          return page(scope, deps, 'admin-billing', {
            title: phrase('billing.title'),
            current: '/admin',
            summary,
            statusText: phrase(STATUS_WORDS[status] ?? 'billing.status.canceled'),
            statusTone: status === 'active' ? 'good' : state.level === 'read_only' ? 'bad' : status === 'trialing' || status === 'none' ? '' : 'warn',
            readOnly: state.level === 'read_only',
            pastDue: status === 'past_due' || status === 'unpaid',
            trialEnds: status === 'trialing' ? day(summary.trial_ends_at) : undefined,
            renews: status === 'active' ? day(summary.current_period_end) : undefined,
            seatsFull: summary.seats.limit !== null && summary.seats.used >= summary.seats.limit,
            invoice: invoice
              ? { amount: money(invoice.amount_due, invoice.currency), when: invoice.next_payment_attempt ? day(invoice.next_payment_attempt) : undefined }
              : undefined,
            online: deps.billing !== undefined,
            // A school that pays already changes plan, card or cancels in the portal.
            subscribed,
            hasCustomer: subscribed || status === 'canceled' || status === 'incomplete_expired',
            plans: deps.plans.map((p) => ({
              id: p.id,
              name: p.name,
              seats: p.seat_limit,
              storage: p.storage_gb,
              sso: p.features.includes('sso'),
              current: p.id === summary.plan?.id,
            })),
            returned: query.checkout,
          });
        },
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/billing/checkout',
    summary: 'Go to Stripe Checkout to subscribe to a plan (the form)',
    access,
    allowReadOnly: true,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), plan: z.string().max(50) }),
    handler: async ({ scope, deps, body }) => {
      const plan = planById(deps.plans, body.plan);
      if (!plan) throw new AppError('validation-failed', 'Choose one of the plans on the billing page.');
      const billing = requireBilling(deps.billing);
      const tenant = scope.tenant;
      const adminEmail = scope.actor.type === 'user' ? scope.actor.user.email : '';
      const requestId = scope.request?.id ?? tenant.id;
      return {
        afterCommit: async () => ({
          redirect: (await createCheckout(deps.dbs.owner, billing, tenant, { plan, adminEmail, siteUrl: schoolUrl(deps.config, tenant.slug), requestId })).url,
        }),
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/billing/portal',
    summary: 'Go to the Stripe customer portal: payment method, invoices, plan, cancel (the form)',
    access,
    allowReadOnly: true,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, deps }) => {
      const billing = requireBilling(deps.billing);
      const tenant = scope.tenant;
      const adminEmail = scope.actor.type === 'user' ? scope.actor.user.email : '';
      return {
        afterCommit: async () => ({
          redirect: (await createPortal(deps.dbs.owner, billing, tenant, { adminEmail, siteUrl: schoolUrl(deps.config, tenant.slug) })).url,
        }),
      };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/billing',
    summary: 'Where Stripe sends an admin back (Checkout, the portal) and billing emails link: leads to /admin/billing',
    access,
    allowReadOnly: true,
    query: returnQuery,
    handler: async ({ query }) => ({ redirect: query.checkout ? `/admin/billing?checkout=${query.checkout}` : '/admin/billing' }),
  }),
];
