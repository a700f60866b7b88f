// The Stripe stand-in (test/helpers/stripe-server.ts) and webhook signer (test/helpers/stripe-webhooks.ts),
// exercised through the real `stripe` client and its real webhook verifier. No database, no network.
import test from 'ava';
import Stripe from 'stripe';
import { decodeForm, type StripeStandIn, startStripeServer } from '../helpers/stripe-server.ts';
import { checkoutSessionObject, invoiceObject, STRIPE_API_VERSION, signedWebhook, stripeEvent, subscriptionObject } from '../helpers/stripe-webhooks.ts';

const WEBHOOK_SECRET = 'whsec_test_edify_0123456789abcdef';

function client(standIn: StripeStandIn, options: Stripe.StripeConfig = {}, key = 'sk_test_123'): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: standIn.port, protocol: 'http', apiVersion: STRIPE_API_VERSION, maxNetworkRetries: 0, ...options });
}

async function standIn(t: { teardown: (fn: () => Promise<void>) => void }): Promise<StripeStandIn> {
  const server = await startStripeServer();
  t.teardown(() => server.close());
  return server;
}

test('the pinned API version is 2026-10-28.endive', (t) => {
  t.is(Stripe.API_VERSION, '2026-10-28.endive');
  t.is(STRIPE_API_VERSION, Stripe.API_VERSION);
});

test('form bodies decode into nested objects and arrays', (t) => {
  t.deepEqual(
    decodeForm(
      'metadata[school_id]=sch_1&line_items[0][price]=price_a&line_items[0][quantity]=2&line_items[1][price]=price_b&expand[]=x&expand[]=y&name=A%20B',
    ),
    {
      metadata: { school_id: 'sch_1' },
      line_items: [{ price: 'price_a', quantity: '2' }, { price: 'price_b' }],
      expand: ['x', 'y'],
      name: 'A B',
    },
  );
  t.deepEqual(decodeForm('metadata[0]=zero'), { metadata: { '0': 'zero' } });
  t.deepEqual(decodeForm('__proto__[polluted]=1&a[constructor][x]=1'), {});
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('customers.create records the idempotency key, the metadata and the Stripe-Version', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  const customer = await stripe.customers.create(
    { email: 'bursar@lincoln.example', name: 'Lincoln Elementary', metadata: { school_id: 'sch_lincoln', plan: 'standard' } },
    { idempotencyKey: 'customer-sch_lincoln' },
  );
  t.regex(customer.id, /^cus_\w{14}$/);
  t.is(customer.object, 'customer');
  t.is(customer.email, 'bursar@lincoln.example');
  t.is(customer.name, 'Lincoln Elementary');
  t.deepEqual(customer.metadata, { school_id: 'sch_lincoln', plan: 'standard' });
  t.is(customer.lastResponse.statusCode, 200);
  t.is(customer.lastResponse.apiVersion, '2026-10-28.endive');
  t.is(customer.lastResponse.idempotencyKey, 'customer-sch_lincoln');
  t.regex(customer.lastResponse.requestId, /^req_/);

  t.is(server.requests.length, 1);
  const [request] = server.requests;
  t.is(request?.method, 'POST');
  t.is(request?.path, '/v1/customers');
  t.is(request?.idempotencyKey, 'customer-sch_lincoln');
  t.is(request?.stripeVersion, '2026-10-28.endive');
  t.is(request?.headers['stripe-version'], '2026-10-28.endive');
  t.is(request?.headers.authorization, 'Bearer sk_test_123');
  t.is(request?.headers['content-type'], 'application/x-www-form-urlencoded');
  t.deepEqual(request?.body, { email: 'bursar@lincoln.example', name: 'Lincoln Elementary', metadata: { school_id: 'sch_lincoln', plan: 'standard' } });

  const fetched = await stripe.customers.retrieve(customer.id);
  t.is(fetched.id, customer.id);
  t.is(server.requests[1]?.method, 'GET');
  t.is(server.requests[1]?.path, `/v1/customers/${customer.id}`);
  t.is(server.requests[1]?.idempotencyKey, undefined, 'the client sends no idempotency key on GET');
  t.true(server.state.customers.has(customer.id));
});

test('the client keys every POST itself; the same key and parameters replay, different parameters are refused', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  await stripe.customers.create({ email: 'a@example.test' });
  t.regex(server.requests[0]?.idempotencyKey ?? '', /^stripe-node-retry-[0-9a-f-]{36}$/);

  const first = await stripe.customers.create({ email: 'b@example.test' }, { idempotencyKey: 'k1' });
  const replay = await stripe.customers.create({ email: 'b@example.test' }, { idempotencyKey: 'k1' });
  t.is(replay.id, first.id);
  t.is((replay.lastResponse as unknown as { headers: Record<string, string> }).headers['idempotent-replayed'], 'true');
  t.is(server.state.customers.size, 2);

  const error = await t.throwsAsync(stripe.customers.create({ email: 'c@example.test' }, { idempotencyKey: 'k1' }), {
    instanceOf: Stripe.errors.StripeIdempotencyError,
  });
  t.is(error?.statusCode, 400);
  t.is(error?.type, 'StripeIdempotencyError');
  t.is(server.requests.length, 4);
});

test('checkout.sessions.create records the nested body and answers an open session', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: 'cus_lincoln',
    client_reference_id: 'sch_lincoln',
    line_items: [{ price: 'price_standard_monthly', quantity: 1 }],
    metadata: { school_id: 'sch_lincoln' },
    subscription_data: { metadata: { school_id: 'sch_lincoln' } },
    success_url: 'https://lincoln.edify.app/billing?checkout={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://lincoln.edify.app/billing',
  });
  t.regex(session.id, /^cs_test_/);
  t.is(session.object, 'checkout.session');
  t.is(session.url, `https://checkout.stripe.test/c/pay/${session.id}`);
  t.is(session.mode, 'subscription');
  t.is(session.customer, 'cus_lincoln');
  t.is(session.client_reference_id, 'sch_lincoln');
  t.deepEqual(session.metadata, { school_id: 'sch_lincoln' });
  t.is(session.subscription, null);
  t.is(session.status, 'open');

  const request = server.requests[0];
  t.is(request?.path, '/v1/checkout/sessions');
  t.deepEqual(request?.body, {
    mode: 'subscription',
    customer: 'cus_lincoln',
    client_reference_id: 'sch_lincoln',
    line_items: [{ price: 'price_standard_monthly', quantity: '1' }],
    metadata: { school_id: 'sch_lincoln' },
    subscription_data: { metadata: { school_id: 'sch_lincoln' } },
    success_url: 'https://lincoln.edify.app/billing?checkout={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://lincoln.edify.app/billing',
  });
  t.regex(request?.rawBody ?? '', /line_items\[0\]\[price\]=price_standard_monthly&line_items\[0\]\[quantity\]=1/);
  t.deepEqual((await stripe.checkout.sessions.retrieve(session.id)).id, session.id);

  const error = await t.throwsAsync(stripe.checkout.sessions.create({ mode: 'subscription', success_url: 'https://x.test' }), {
    instanceOf: Stripe.errors.StripeInvalidRequestError,
  });
  t.is(error?.code, 'parameter_missing');
  t.is(error?.param, 'line_items');
});

test('billingPortal.sessions.create', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  const session = await stripe.billingPortal.sessions.create({ customer: 'cus_lincoln', return_url: 'https://lincoln.edify.app/billing' });
  t.regex(session.id, /^bps_/);
  t.is(session.object, 'billing_portal.session');
  t.regex(session.url, /^https:\/\/billing\.stripe\.test\/p\/session\/test_/);
  t.is(session.customer, 'cus_lincoln');
  t.is(session.return_url, 'https://lincoln.edify.app/billing');
  t.deepEqual(server.requests[0]?.body, { customer: 'cus_lincoln', return_url: 'https://lincoln.edify.app/billing' });
  t.true(server.state.portalSessions.has(session.id));
});

test('subscriptions.retrieve returns the subscription set on the stand-in, periods on its items', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  const periodEnd = Date.UTC(2027, 0, 15) / 1000;
  server.setSubscription(
    subscriptionObject({ id: 'sub_lincoln', customer: 'cus_lincoln', status: 'active', schoolId: 'sch_lincoln', priceId: 'price_standard', periodEnd }),
  );

  const subscription = await stripe.subscriptions.retrieve('sub_lincoln');
  t.is(subscription.object, 'subscription');
  t.is(subscription.customer, 'cus_lincoln');
  t.is(subscription.status, 'active');
  t.deepEqual(subscription.metadata, { school_id: 'sch_lincoln' });
  t.false(subscription.cancel_at_period_end);
  t.is(subscription.trial_end, null);
  t.is(subscription.items.object, 'list');
  const item = subscription.items.data[0];
  t.is(item?.object, 'subscription_item');
  t.is(item?.price.id, 'price_standard');
  t.is(item?.quantity, 1);
  t.is(item?.current_period_end, periodEnd);
  t.is(item?.current_period_start, Date.UTC(2026, 11, 15) / 1000);
  t.false('current_period_end' in subscription, 'no period on the subscription itself in this API version');

  // Partial updates merge over what is stored; unknown ids get a default active subscription.
  server.setSubscription({ id: 'sub_lincoln', status: 'past_due', cancel_at_period_end: true });
  const updated = await stripe.subscriptions.retrieve('sub_lincoln');
  t.is(updated.status, 'past_due');
  t.true(updated.cancel_at_period_end);
  t.is(updated.items.data[0]?.current_period_end, periodEnd);
  server.setSubscription({ id: 'sub_other', customer: 'cus_other' });
  const other = await stripe.subscriptions.retrieve('sub_other');
  t.is(other.status, 'active');
  t.true((other.items.data[0]?.current_period_end ?? 0) > (other.items.data[0]?.current_period_start ?? Infinity));
});

test('an unknown subscription is a 404 StripeInvalidRequestError (resource_missing)', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  const error = await t.throwsAsync(stripe.subscriptions.retrieve('sub_missing'), { instanceOf: Stripe.errors.StripeInvalidRequestError });
  t.is(error?.statusCode, 404);
  t.is(error?.code, 'resource_missing');
  t.is(error?.param, 'id');
  t.is(error?.message, "No such subscription: 'sub_missing'");
  t.is(server.requests[0]?.status, 404);

  const unknown = await t.throwsAsync(stripe.prices.retrieve('price_x'), { instanceOf: Stripe.errors.StripeInvalidRequestError });
  t.is(unknown?.code, 'resource_missing');
  t.regex(unknown?.message ?? '', /Unrecognized request URL \(GET: \/v1\/prices\/price_x\)/);
});

test('a key that is not sk_test_ is a 401 StripeAuthenticationError', async (t) => {
  const server = await standIn(t);
  for (const key of ['sk_live_0123456789abcdef', 'rk_test_0123456789abcdef']) {
    const error = await t.throwsAsync(client(server, {}, key).customers.create({}), { instanceOf: Stripe.errors.StripeAuthenticationError });
    t.is(error?.statusCode, 401);
    t.false(error?.message.includes('0123456789abcdef'), 'the key is redacted');
  }
  t.is(server.state.customers.size, 0);
  t.is(server.requests.length, 2);
});

test('failNext(2, 503) with maxNetworkRetries 2: the client retries with the same idempotency key and succeeds', async (t) => {
  const server = await standIn(t);
  const stripe = client(server, { maxNetworkRetries: 2 });
  server.failNext(2, 503);
  const started = Date.now();
  const customer = await stripe.customers.create({ email: 'retry@example.test' });
  t.true(Date.now() - started >= 900, 'backs off ≥0.5s before each retry (0.5s × 2^n with jitter, capped at 5s)');
  t.deepEqual(
    server.requests.map((r) => r.status),
    [503, 503, 200],
  );
  const keys = new Set(server.requests.map((r) => r.idempotencyKey));
  t.is(keys.size, 1, 'every attempt carries the same Idempotency-Key');
  t.regex([...keys][0] ?? '', /^stripe-node-retry-/);
  t.is(server.state.customers.size, 1);
  t.is(server.state.customers.get(customer.id)?.email, 'retry@example.test');
});

test('failNext beyond the retries surfaces a StripeAPIError; 4xx is not retried', async (t) => {
  const server = await standIn(t);
  const stripe = client(server, { maxNetworkRetries: 1 });
  server.failNext(2);
  const error = await t.throwsAsync(stripe.customers.create({}), { instanceOf: Stripe.errors.StripeAPIError });
  t.is(error?.statusCode, 500);
  t.is(error?.rawType, 'api_error');
  t.is(server.requests.length, 2);

  server.failNext(1, 429);
  await t.throwsAsync(stripe.customers.create({}), { instanceOf: Stripe.errors.StripeRateLimitError });
  t.is(server.requests.length, 3, '429 is not retried by the client');
  await stripe.customers.create({});
  t.is(server.requests.length, 4);
});

test('failNext(n, 0) drops the connection: retried once even with maxNetworkRetries 0, then a StripeConnectionError', async (t) => {
  const server = await standIn(t);
  const stripe = client(server, { maxNetworkRetries: 0 });
  server.failNext(1, 0);
  const customer = await stripe.customers.create({ email: 'flaky@example.test' });
  t.truthy(customer.id);
  t.deepEqual(
    server.requests.map((r) => r.status),
    [0, 200],
  );
  t.is(server.requests[0]?.idempotencyKey, server.requests[1]?.idempotencyKey);

  server.failNext(2, 0);
  await t.throwsAsync(stripe.customers.create({}), { instanceOf: Stripe.errors.StripeConnectionError });
  t.is(server.requests.length, 4);
});

test('invoices.createPreview previews the next renewal of a subscription', async (t) => {
  const server = await standIn(t);
  const stripe = client(server);
  t.is(typeof stripe.invoices.createPreview, 'function');
  t.false('retrieveUpcoming' in stripe.invoices, 'GET /v1/invoices/upcoming is gone from the client');
  const periodEnd = Date.UTC(2027, 1, 1) / 1000;
  server.setSubscription(subscriptionObject({ id: 'sub_1', customer: 'cus_1', status: 'active', schoolId: 'sch_1', priceId: 'price_standard', periodEnd }));
  server.state.invoicePreview.amount_due = 12000;

  const preview = await stripe.invoices.createPreview({ subscription: 'sub_1' });
  t.is(preview.object, 'invoice');
  t.is(preview.amount_due, 12000);
  t.is(preview.currency, 'usd');
  t.is(preview.period_end, periodEnd);
  t.is(preview.next_payment_attempt, periodEnd + 3600);
  t.is(preview.parent?.subscription_details?.subscription, 'sub_1');
  t.deepEqual(server.requests[0]?.body, { subscription: 'sub_1' });
  t.is((await stripe.invoices.createPreview({ customer: 'cus_1' })).amount_due, 12000);

  server.setSubscription({ id: 'sub_1', cancel_at_period_end: true });
  const none = await t.throwsAsync(stripe.invoices.createPreview({ subscription: 'sub_1' }), { instanceOf: Stripe.errors.StripeInvalidRequestError });
  t.is(none?.code, 'invoice_upcoming_none');
  const missing = await t.throwsAsync(stripe.invoices.createPreview({ subscription: 'sub_nope' }), { instanceOf: Stripe.errors.StripeInvalidRequestError });
  t.is(missing?.code, 'resource_missing');
});

test('signedWebhook verifies with stripe.webhooks.constructEvent', (t) => {
  const stripe = new Stripe('sk_test_123');
  const subscription = subscriptionObject({ id: 'sub_1', customer: 'cus_1', status: 'active', schoolId: 'sch_1', priceId: 'price_standard' });
  const payload = stripeEvent('customer.subscription.updated', subscription, { id: 'evt_1', previousAttributes: { status: 'trialing' } });
  const { body, signature } = signedWebhook(payload, WEBHOOK_SECRET);
  t.regex(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  t.true(body.includes('\n  "id": "evt_1"'), 'pretty-printed like Stripe');

  const event = stripe.webhooks.constructEvent(body, signature, WEBHOOK_SECRET);
  t.is(event.id, 'evt_1');
  t.is(event.type, 'customer.subscription.updated');
  t.is(event.api_version, '2026-10-28.endive');
  t.is(event.object, 'event');
  t.false(event.livemode);
  t.deepEqual(event.request, { id: null, idempotency_key: null });
  t.deepEqual(event.data.object, subscription);
  t.deepEqual(event.data.previous_attributes, { status: 'trialing' });
  t.deepEqual(stripe.webhooks.constructEvent(Buffer.from(body), signature, WEBHOOK_SECRET), event, 'a Buffer body verifies too');
});

test('constructEvent rejects a tampered body, a wrong secret, a re-serialized body and an old timestamp', (t) => {
  const stripe = new Stripe('sk_test_123');
  const payload = stripeEvent('invoice.paid', invoiceObject({ id: 'in_1', customer: 'cus_1', subscription: 'sub_1', status: 'paid' }));
  const { body, signature } = signedWebhook(payload, WEBHOOK_SECRET);
  const rejects = (fn: () => unknown, message: RegExp) => t.throws(fn, { instanceOf: Stripe.errors.StripeSignatureVerificationError, message });

  rejects(
    () => stripe.webhooks.constructEvent(body.replace('"amount_paid": 5000', '"amount_paid": 1'), signature, WEBHOOK_SECRET),
    /No signatures found matching/,
  );
  rejects(() => stripe.webhooks.constructEvent(body, signature, 'whsec_wrong'), /No signatures found matching/);
  rejects(() => stripe.webhooks.constructEvent(JSON.stringify(JSON.parse(body)), signature, WEBHOOK_SECRET), /No signatures found matching/);
  rejects(() => stripe.webhooks.constructEvent(body, '', WEBHOOK_SECRET), /No stripe-signature header/);

  t.is(stripe.webhooks.DEFAULT_TOLERANCE, 300);
  const now = Math.floor(Date.now() / 1000);
  const old = signedWebhook(payload, WEBHOOK_SECRET, { timestamp: now - 301 });
  rejects(() => stripe.webhooks.constructEvent(old.body, old.signature, WEBHOOK_SECRET), /Timestamp outside the tolerance zone/);
  t.notThrows(() => stripe.webhooks.constructEvent(old.body, old.signature, WEBHOOK_SECRET, 600), 'a wider tolerance accepts it');
  t.notThrows(() => stripe.webhooks.constructEvent(old.body, old.signature, WEBHOOK_SECRET, 0), 'tolerance 0 skips the age check');
  const recent = signedWebhook(payload, WEBHOOK_SECRET, { timestamp: now - 299 });
  t.notThrows(() => stripe.webhooks.constructEvent(recent.body, recent.signature, WEBHOOK_SECRET));
});

test('event objects follow API 2026-10-28: invoice → subscription under parent, periods on items', (t) => {
  const invoice = invoiceObject({ id: 'in_1', customer: 'cus_1', subscription: 'sub_1', status: 'paid', amount_due: 7500 });
  t.is(invoice.parent?.subscription_details.subscription, 'sub_1');
  t.false('subscription' in invoice);
  t.false('paid' in invoice);
  t.is(invoice.amount_paid, 7500);
  t.is(invoice.amount_remaining, 0);
  const open = invoiceObject({ id: 'in_2', customer: 'cus_1', subscription: null, status: 'open', paid: false });
  t.is(open.parent, null);
  t.is(open.amount_remaining, 5000);
  t.truthy(open.next_payment_attempt);

  const session = checkoutSessionObject({ id: 'cs_test_1', customer: 'cus_1', subscription: 'sub_1', schoolId: 'sch_1' });
  t.like(session, {
    object: 'checkout.session',
    status: 'complete',
    payment_status: 'paid',
    mode: 'subscription',
    client_reference_id: 'sch_1',
    subscription: 'sub_1',
    url: null,
  });
  t.deepEqual(session.metadata, { school_id: 'sch_1' });

  const trialing = subscriptionObject({ id: 'sub_t', customer: 'cus_1', status: 'trialing', schoolId: 'sch_1', priceId: 'price_x', created: 1_700_000_000 });
  t.is(trialing.items.data[0]?.current_period_start, 1_700_000_000);
  t.is(trialing.trial_end, trialing.items.data[0]?.current_period_end ?? -1);
  t.false('current_period_end' in trialing);

  const event = stripeEvent('checkout.session.completed', session, { created: 1_700_000_000 });
  t.regex(event.id, /^evt_\w{24}$/);
  t.like(event, {
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_700_000_000,
    type: 'checkout.session.completed',
    livemode: false,
    pending_webhooks: 1,
  });
  t.false('previous_attributes' in event.data);
});
