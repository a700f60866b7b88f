// The catalogue, offerings, self-enrolment, paid checkout, the school's payment account, and the
// Stripe Connect webhook (course payments). docs/billing.md "Course payments".
import { z } from 'zod';
import { requireBilling } from '../billing/stripe.ts';
import { verifyEvent } from '../billing/webhooks.ts';
import { schoolUrl } from '../config.ts';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { readRawBody } from '../http/body.ts';
import { platformRoute, tenantRoute } from '../http/route.ts';
import { startCheckout } from './checkout.ts';
import { handleCourseEvent } from './payments.ts';
import { presentOffering } from './present.ts';
import { accountInput, checkoutView, offeringInput, offeringView } from './schema.ts';
import { enrol, findOffering, listCatalogue, setConnectedAccount, setOffering } from './service.ts';

const classParams = z.object({ id: z.uuid() });
const catalogueQuery = pageQuery.extend({ q: z.string().trim().max(200).optional().describe('Full-text search over the courses’ names and descriptions.') });

export const enrolmentRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/catalogue',
    summary: 'Courses open for self-enrolment',
    tags: ['catalogue'],
    access: { action: 'read', subject: 'Offering' },
    query: catalogueQuery,
    responses: { 200: { description: 'A page of offerings, by name', schema: pageSchema(offeringView) } },
    handler: async ({ scope, query }) => {
      const page = await listCatalogue(scope, query);
      return { body: { data: page.data.map((r) => presentOffering(scope, r)), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/offering',
    summary: 'A class’s offering (catalogue entry)',
    tags: ['catalogue'],
    access: { action: 'read', subject: 'Offering' },
    params: classParams,
    responses: { 200: { description: 'The offering', schema: offeringView } },
    handler: async ({ scope, params }) => ({ body: presentOffering(scope, await findOffering(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/offering',
    summary: 'Offer a class for self-enrolment: dates, cap, price',
    tags: ['catalogue'],
    access: { action: 'update', subject: 'Offering' },
    params: classParams,
    body: offeringInput,
    responses: { 200: { description: 'The offering', schema: offeringView } },
    handler: async ({ scope, params, body }) => ({ body: presentOffering(scope, await setOffering(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/offering/enrol',
    summary: 'Enrol yourself in a free course (students)',
    description: 'Refused (409, with `reason`) outside the offering’s dates, past its cap, when already enrolled, or when it has a price.',
    tags: ['catalogue'],
    access: { action: 'join', subject: 'Offering' },
    params: classParams,
    responses: { 201: { description: 'Enrolled', schema: offeringView } },
    handler: async ({ scope, params }) => ({ status: 201, body: presentOffering(scope, await enrol(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/offering/checkout',
    summary: 'Pay for a course through Stripe Checkout (students)',
    description: 'Holds a place for 31 minutes and answers the Checkout URL on the school’s own Stripe account; the webhook enrols.',
    tags: ['catalogue'],
    access: { action: 'join', subject: 'Offering' },
    params: classParams,
    responses: { 200: { description: 'Send the browser to url', schema: checkoutView } },
    handler: async ({ scope, params, deps, reopen }) => {
      const url = await startCheckout(scope, deps, reopen, params.id);
      return { afterCommit: async () => ({ body: { url: await url() } }) };
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/course-payments/account',
    summary: 'Connect the school’s Stripe account for course payments (admins)',
    description: 'Learners pay the school directly (Stripe Connect); the platform keeps COURSE_PLATFORM_FEE_PERCENT. null disconnects.',
    tags: ['catalogue'],
    access: { action: 'manage', subject: 'CoursePayment' },
    body: accountInput,
    responses: { 204: { description: 'Saved' } },
    handler: async ({ scope, body }) => {
      await setConnectedAccount(scope, body.stripe_account_id);
      return {};
    },
  }),
  platformRoute({
    method: 'post',
    path: '/webhooks/stripe/connect',
    summary: 'Stripe Connect webhook endpoint for course payments (signed)',
    description:
      'Events from schools’ connected accounts (`account`). The same signature check and event dedup as /webhooks/stripe, with the Connect endpoint’s secret.',
    tags: ['catalogue'],
    responses: { 200: { description: 'Received' } },
    handler: async ({ ctx, deps }) => {
      const billing = requireBilling(deps.billing);
      const raw = await readRawBody(ctx as never, 1_000_000);
      const event = await verifyEvent(billing, raw, ctx.get('stripe-signature'), deps.config.stripe.connectWebhookSecrets ?? []);
      const outbox = deps.jobs && { jobs: deps.jobs, box: deps.secretBox };
      return { body: await handleCourseEvent(deps.dbs.owner, billing, event, deps.clock(), outbox, (slug) => schoolUrl(deps.config, slug)) };
    },
  }),
];
