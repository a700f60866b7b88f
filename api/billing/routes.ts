// Billing for school admins (summary, checkout, customer portal) and Stripe's webhook endpoint on
// the platform host. Calls to Stripe happen after the request's transaction has committed.
import type { Knex } from 'knex';
import { z } from 'zod';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { readRawBody } from '../http/body.ts';
import { toAppError } from '../http/problem.ts';
import { platformRoute, tenantRoute } from '../http/route.ts';
import { planById, planIdInput } from './plans.ts';
import { type BillingNotice, billingSummary, createCheckout, createPortal, nextInvoice, queueBillingNotice } from './service.ts';
import { requireBilling } from './stripe.ts';
import { handleEvent, verifyEvent } from './webhooks.ts';

const summaryView = z.object({
  plan: z.object({ id: z.string(), name: z.string(), seat_limit: z.number().nullable(), features: z.array(z.string()) }).nullable(),
  status: z.string(),
  access: z.enum(['full', 'read_only']),
  notice: z.string().nullable(),
  seats: z.object({ used: z.number(), limit: z.number().nullable() }),
  trial_ends_at: z.string().nullable(),
  current_period_end: z.string().nullable(),
  past_due_since: z.string().nullable(),
  next_invoice: z
    .object({ amount_due: z.number().int().describe('In the smallest currency unit'), currency: z.string(), next_payment_attempt: z.string().nullable() })
    .nullable()
    .describe('null when there is none, or when Stripe cannot be reached right now'),
});
const urlView = z.object({ url: z.string() });

export const billingRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/billing',
    summary: 'Plan, subscription status, seats and any payment problem',
    tags: ['billing'],
    access: { action: 'manage', subject: 'Billing' },
    allowReadOnly: true,
    responses: { 200: { description: 'Billing', schema: summaryView } },
    handler: async ({ scope, deps }) => {
      const summary = await billingSummary(scope, deps.plans, deps.config.billingGraceDays, deps.clock());
      const tenantId = scope.tenant.id;
      // Stripe is asked after the transaction, so a slow Stripe never holds a connection.
      return { afterCommit: async () => ({ body: { ...summary, next_invoice: await nextInvoice(deps.dbs.owner, deps.billing, tenantId) } }) };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/billing/checkout',
    idempotent: true,
    summary: 'Start a Stripe Checkout for a plan',
    tags: ['billing'],
    access: { action: 'manage', subject: 'Billing' },
    allowReadOnly: true,
    body: z.strictObject({ plan: planIdInput }),
    responses: { 200: { description: 'Send the browser to url', schema: urlView } },
    handler: async ({ scope, body, deps }) => {
      const plan = planById(deps.plans, body.plan);
      if (!plan)
        throw new AppError('validation-failed', 'Unknown plan.', {
          errors: [{ in: 'body', field: 'plan', message: `must be one of ${deps.plans.map((p) => p.id).join(', ')}` }],
        });
      const billing = requireBilling(deps.billing);
      const tenant = scope.tenant;
      const adminEmail = scope.actor.type === 'user' ? scope.actor.user.email : '';
      const requestId = scope.request?.id ?? tenant.id;
      return {
        afterCommit: async () => ({
          body: await createCheckout(deps.dbs.owner, billing, tenant, { plan, adminEmail, siteUrl: schoolUrl(deps.config, tenant.slug), requestId }),
        }),
      };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/billing/portal',
    summary: 'Open the Stripe customer portal (payment method, invoices, cancel)',
    tags: ['billing'],
    access: { action: 'manage', subject: 'Billing' },
    allowReadOnly: true,
    responses: { 200: { description: 'Send the browser to url', schema: urlView } },
    handler: async ({ scope, deps }) => {
      const billing = requireBilling(deps.billing);
      const tenant = scope.tenant;
      const adminEmail = scope.actor.type === 'user' ? scope.actor.user.email : '';
      return {
        afterCommit: async () => ({ body: await createPortal(deps.dbs.owner, billing, tenant, { adminEmail, siteUrl: schoolUrl(deps.config, tenant.slug) }) }),
      };
    },
  }),
  platformRoute({
    method: 'post',
    path: '/webhooks/stripe',
    summary: 'Stripe webhook endpoint (signed)',
    description: 'Checks Stripe-Signature against the raw body with every configured secret; each event id is processed once.',
    tags: ['billing'],
    responses: { 200: { description: 'Received' } },
    handler: async ({ ctx, deps }) => {
      try {
        const billing = requireBilling(deps.billing);
        const raw = await readRawBody(ctx as never, 1_000_000);
        const event = await verifyEvent(billing, raw, ctx.get('stripe-signature'), deps.config.stripe.webhookSecrets);
        const outbox = deps.jobs && { jobs: deps.jobs, box: deps.secretBox };
        const notify = (db: Knex.Transaction, notice: BillingNotice) => queueBillingNotice(db, outbox, notice, schoolUrl(deps.config, notice.school.slug));
        return { body: await handleEvent(deps.dbs.owner, billing, event, deps.plans, deps.clock(), notify, deps.config.billingGraceDays) };
      } catch (error) {
        // Counted for /metrics by problem code (a bad signature, an unknown customer, Stripe or the database away, a bug).
        deps.metrics?.webhookFailed(toAppError(error).code);
        throw error;
      }
    },
  }),
];
