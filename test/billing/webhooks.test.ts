// Billing through Stripe's real protocols: the official client against a local stand-in, and
// webhooks signed with Stripe's own scheme. The clock is injected to move through grace periods.
import test from 'ava';
import type { Config } from '../../api/config.ts';
import { withTenant } from '../../tenants/session.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { PASSWORD, scene } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { waitForMail } from '../helpers/mail.ts';
import { startStripeServer } from '../helpers/stripe-server.ts';
import { invoiceObject, signedWebhook, stripeEvent, subscriptionObject } from '../helpers/stripe-webhooks.ts';

const SECRET = 'whsec_current_0123456789abcdef';
const OLD_SECRET = 'whsec_previous_0123456789abcdef';
const DAY = 86_400_000;

type StripeWorld = Awaited<ReturnType<typeof stripeWorld>>;

/** A school whose Stripe customer is known, on an app talking to the Stripe stand-in, with a clock. */
async function stripeWorld() {
  const stand = await startStripeServer();
  const clock = { now: new Date() };
  const stripe: Config['stripe'] = { secretKey: 'sk_test_edify', webhookSecrets: [SECRET, OLD_SECRET], apiBase: stand.url };
  const w = await scene({ app: startApp({ stripe }, { clock: () => clock.now }), people: {} });
  const customer = `cus_${w.school.slug.replace(/-/g, '')}`;
  const subscription = `sub_${w.school.slug.replace(/-/g, '')}`;
  await testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).update({ stripe_customer_id: customer });
  return { ...w, stand, customer, subscription, clock };
}

function deliver(
  w: StripeWorld,
  type: string,
  object: Record<string, unknown>,
  options: { secret?: string; timestamp?: number; id?: string; tamper?: boolean } = {},
) {
  const event = stripeEvent(type, object, options.id ? { id: options.id } : {});
  const signed = signedWebhook(event, options.secret ?? SECRET, options.timestamp ? { timestamp: options.timestamp } : {});
  const body = options.tamper ? signed.body.replace('"livemode": false', '"livemode": true') : signed.body;
  return w.app.request(null, 'POST', '/webhooks/stripe', { raw: body, headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature } });
}

function subscriptionIs(w: StripeWorld, status: string, priceId = 'price_school') {
  const sub = subscriptionObject({ id: w.subscription, customer: w.customer, status: status as never, schoolId: w.school.tenant.id, priceId });
  w.stand.setSubscription(sub as never);
  return sub as unknown as Record<string, unknown>;
}

const school = (w: StripeWorld) => testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).first();

test('a signed webhook updates the school from Stripe’s current subscription; the plan sets the seats', async (t) => {
  const w = await stripeWorld();
  const res = await deliver(w, 'customer.subscription.created', subscriptionIs(w, 'active'));
  t.is(res.status, 200);
  t.is(res.body.school, w.school.slug);
  const row = await school(w);
  t.like(row, { billing_status: 'active', plan: 'school', seat_limit: 1200, stripe_subscription_id: w.subscription });
  t.truthy(row.current_period_end, 'read from the subscription item (API 2026-10-28)');
  const events = await withTenant(testEnv().dbs.app, { id: w.school.tenant.id }, (db) =>
    db('audit_events').where({ action: 'billing.status_changed' }).select('details'),
  );
  t.like(events[0]?.details, { from: 'none', to: 'active' });
  t.is(
    (await deliver(w, 'customer.subscription.updated', subscriptionIs(w, 'active'), { secret: OLD_SECRET })).status,
    200,
    'the previous secret still verifies',
  );
});

test('tampered body, wrong secret and stale timestamp are refused with 400 and change nothing', async (t) => {
  const w = await stripeWorld();
  const object = subscriptionIs(w, 'active');
  for (const options of [{ tamper: true }, { secret: 'whsec_wrong_0123456789' }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }]) {
    const res = await deliver(w, 'customer.subscription.created', object, options);
    t.is(res.status, 400, JSON.stringify(options));
    t.regex(res.body.detail, /Stripe-Signature/);
  }
  t.is((await school(w)).billing_status, 'none');
  t.is(Number((await testEnv().dbs.owner('stripe_events').where({ school_id: w.school.tenant.id }).count('* as n'))[0]?.n), 0);
});

test('the same event delivered twice is processed once', async (t) => {
  const w = await stripeWorld();
  const object = subscriptionIs(w, 'active');
  const first = await deliver(w, 'customer.subscription.created', object, { id: `evt_dup_${w.school.slug}` });
  const second = await deliver(w, 'customer.subscription.created', object, { id: `evt_dup_${w.school.slug}` });
  t.is(first.status, 200);
  t.true(second.body.duplicate);
  const changes = await withTenant(testEnv().dbs.app, { id: w.school.tenant.id }, (db) =>
    db('audit_events').where({ action: 'billing.status_changed' }).count('* as n'),
  );
  t.is(Number(changes[0]?.n), 1);
});

test('subscription.updated arriving before created ends in Stripe’s current state', async (t) => {
  const w = await stripeWorld();
  const current = subscriptionIs(w, 'active');
  await deliver(w, 'customer.subscription.updated', current);
  // The older "created" event (status incomplete at the time) arrives late.
  await deliver(w, 'customer.subscription.created', { ...current, status: 'incomplete' });
  t.is((await school(w)).billing_status, 'active');
  t.like(await school(w), { plan: 'school' });
});

test('payment failed → past due with full access → grace expires → read-only → invoice paid → active', async (t) => {
  const w = await stripeWorld();
  await deliver(w, 'customer.subscription.created', subscriptionIs(w, 'active'));
  const failed = invoiceObject({ id: `in_${w.school.slug}`, customer: w.customer, subscription: w.subscription, status: 'open' }) as unknown as Record<
    string,
    unknown
  >;
  subscriptionIs(w, 'past_due');
  t.is((await deliver(w, 'invoice.payment_failed', failed)).status, 200);
  t.is((await school(w)).billing_status, 'past_due');
  const notices = (await waitForMail(MAIL_DIR, w.admin.email, { count: 2 })).filter((m) => m.template === 'billing-notice');
  // The two notices (active, then payment failed) are separate jobs: the worker may send them in
  // either order, so look for the one this step is about.
  t.true(
    notices.some((m) => /A payment failed/.test(m.text)),
    'admins are emailed when access may change',
  );
  const during = await w.request(w.admin, 'POST', '/api/v1/classes', { name: 'Art' });
  t.is(during.status, 201, 'full access during the grace period');
  t.regex(String(during.headers['edify-billing-notice']), /payment failed/i);

  w.clock.now = new Date(Date.now() + 15 * DAY);
  const after = await w.request(w.admin, 'POST', '/api/v1/classes', { name: 'Music' });
  t.is(after.status, 403);
  t.is(after.body.type, 'https://edify.app/problems/school-read-only');
  t.is((await w.get(w.admin, '/api/v1/classes')).status, 200, 'everything stays readable');
  const login = await w.request(null, 'POST', '/api/v1/auth/login', { email: w.admin.email, password: PASSWORD });
  t.is(login.status, 200, 'everyone can still sign in');
  const summary = await w.get(w.admin, '/api/v1/billing');
  t.like(summary.body, { status: 'past_due', access: 'read_only', plan: { id: 'school' } });
  t.true(Number.isInteger(summary.body.next_invoice?.amount_due), 'the next invoice comes from Stripe');

  subscriptionIs(w, 'active');
  await deliver(w, 'invoice.paid', { ...failed, status: 'paid' });
  t.is((await w.request(w.admin, 'POST', '/api/v1/classes', { name: 'Music' })).status, 201, 'payment restores access at once');
});

test('a trial that ends without payment makes the school read-only', async (t) => {
  const w = await stripeWorld();
  await testEnv()
    .dbs.owner('tenants')
    .where({ id: w.school.tenant.id })
    .update({ billing_status: 'trialing', trial_ends_at: new Date(Date.now() + 14 * DAY) });
  t.is((await w.request(w.admin, 'POST', '/api/v1/classes', { name: 'A' })).status, 201);
  w.clock.now = new Date(Date.now() + 15 * DAY);
  t.is((await w.request(w.admin, 'POST', '/api/v1/classes', { name: 'B' })).status, 403);
  // The change that time alone caused is recorded once: audited and emailed to the admins.
  await w.get(w.admin, '/api/v1/classes');
  const mails = await waitForMail(MAIL_DIR, w.admin.email, { count: 1 });
  t.is(mails.filter((m) => m.template === 'billing-notice' && /read-only/.test(m.text)).length, 1);
  const changes = await withTenant(testEnv().dbs.app, { id: w.school.tenant.id }, (db) =>
    db('audit_events').where({ action: 'billing.access_changed' }).select('details'),
  );
  t.deepEqual(
    changes.map((c) => c.details),
    [{ from: 'full', to: 'read_only' }],
  );
});

test('checkout creates the customer once and carries idempotency keys and the school in metadata', async (t) => {
  const w = await stripeWorld();
  await testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).update({ stripe_customer_id: null });
  const res = await w.request(w.admin, 'POST', '/api/v1/billing/checkout', { plan: 'starter' });
  t.is(res.status, 200);
  t.regex(res.body.url, /^https:\/\/checkout\.stripe\.test\//);
  const customer = w.stand.requests.find((r) => r.method === 'POST' && r.path === '/v1/customers');
  t.is(customer?.idempotencyKey, `edify-customer-${w.school.tenant.id}`);
  t.like(customer?.body, { metadata: { school_id: w.school.tenant.id } });
  const session = w.stand.requests.find((r) => r.path === '/v1/checkout/sessions');
  t.regex(session?.idempotencyKey ?? '', new RegExp(`^edify-checkout-${w.school.tenant.id}-`));
  t.like(session?.body, { mode: 'subscription', client_reference_id: w.school.tenant.id, metadata: { school_id: w.school.tenant.id, plan: 'starter' } });
  t.is(session?.stripeVersion, '2026-10-28.endive');
  await w.request(w.admin, 'POST', '/api/v1/billing/checkout', { plan: 'school' });
  t.is(w.stand.requests.filter((r) => r.path === '/v1/customers').length, 1, 'one customer per school');
  const portal = await w.request(w.admin, 'POST', '/api/v1/billing/portal');
  t.regex(portal.body.url, /billing\.stripe\.test/);
  const teacherLike = await w.request({ token: 'nope' }, 'POST', '/api/v1/billing/checkout', { plan: 'school' });
  t.is(teacherLike.status, 401);
});

test('a Stripe outage answers 503 on billing and never blocks sign-in', async (t) => {
  const w = await stripeWorld();
  w.stand.failNext(20, 503);
  const res = await w.request(w.admin, 'POST', '/api/v1/billing/portal');
  t.is(res.status, 503);
  t.regex(res.body.detail, /Teaching is not affected/);
  await testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).update({ stripe_subscription_id: w.subscription, billing_status: 'active' });
  const summary = await w.get(w.admin, '/api/v1/billing');
  t.is(summary.status, 200, 'the billing page still answers');
  t.is(summary.body.next_invoice, null);
  const login = await w.request(null, 'POST', '/api/v1/auth/login', { email: w.admin.email, password: PASSWORD });
  t.is(login.status, 200);
});

test('edify billing:show, billing:sync and billing:events', async (t) => {
  const w = await stripeWorld();
  await deliver(w, 'customer.subscription.created', subscriptionIs(w, 'active'));
  const env = { STRIPE_SECRET_KEY: 'sk_test_edify', STRIPE_API_BASE: w.stand.url };
  const show = await edify(['billing:show', w.school.slug, '--json'], { env });
  t.like(show.json, { status: 'active', plan: 'school', access: 'full', stripe_subscription_id: w.subscription });
  subscriptionIs(w, 'canceled');
  const sync = await edify(['billing:sync', w.school.slug, '--json'], { env });
  t.is(sync.code, 0, sync.stderr);
  t.like(sync.json, { status: 'canceled' });
  const events = await edify(['billing:events', '--json', '--limit', '500'], { env });
  t.true(events.json.some((e: { school: string; type: string }) => e.school === w.school.slug && e.type === 'customer.subscription.created'));
});
