// A local stand-in for Stripe's REST API (v1), good enough for the official `stripe` client pointed at it with
// `new Stripe('sk_test_…', { host: '127.0.0.1', port, protocol: 'http' })`. It records every request (method,
// path, headers, the form body decoded into nested objects, the idempotency key), answers with objects shaped
// like API version 2026-10-28.endive, and can fail on demand (HTTP errors or dropped connections) to exercise
// retries and circuit breakers. Nothing here reaches the internet.
//
// Like Stripe it: requires `Authorization: Bearer sk_test_…` (401 otherwise); answers errors as
// `{ error: { type, code, message, param?, doc_url? } }`; replays the first successful response to a POST
// retried with the same `Idempotency-Key` and the same parameters (`Idempotent-Replayed: true`), and rejects
// the key reused with different parameters (400 `idempotency_error`); echoes `Request-Id`, `Stripe-Version`
// and `Idempotency-Key` headers. Failures injected with `failNext` are not stored for idempotency (as if the
// request never reached the API), so the client's retry with the same key goes through.
//
// Connect (course payments): objects made with a `Stripe-Account: acct_…` header live on that connected account and
// answer 404 from the platform or any other account; `payment`-mode Checkout takes `line_items[].price_data` and
// `payment_intent_data` (an `application_fee_amount` needs the header, as on Stripe); `completeCheckout`, `expireCheckout`
// and `dispute` play the payer and the bank; `POST /v1/refunds` refunds as the API does (full or partial, never twice).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { stripeId, subscriptionObject } from './stripe-webhooks.ts';
import { atTeardown } from './teardown.ts';

export type Metadata = Record<string, string>;
export type List<T> = { object: 'list'; data: T[]; has_more: boolean; total_count?: number; url: string };

export type SubscriptionStatus = 'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';

export type Price = {
  id: string;
  object: 'price';
  currency: string;
  unit_amount: number | null;
  recurring: {
    interval: 'day' | 'week' | 'month' | 'year';
    interval_count: number;
    meter: string | null;
    trial_period_days: number | null;
    usage_type: string;
  } | null;
  [field: string]: unknown;
};

export type SubscriptionItem = {
  id: string;
  object: 'subscription_item';
  price: Price;
  quantity: number;
  subscription: string;
  /** Billing periods live here (not on the subscription) since API 2025-03-31.basil. */
  current_period_start: number;
  current_period_end: number;
  [field: string]: unknown;
};

export type Subscription = {
  id: string;
  object: 'subscription';
  customer: string;
  status: SubscriptionStatus;
  metadata: Metadata;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  trial_end: number | null;
  created: number;
  items: List<SubscriptionItem>;
  latest_invoice: string | null;
  [field: string]: unknown;
};

export type Customer = {
  id: string;
  object: 'customer';
  email: string | null;
  name: string | null;
  metadata: Metadata;
  created: number;
  [field: string]: unknown;
};

export type CheckoutSession = {
  id: string;
  object: 'checkout.session';
  url: string | null;
  mode: 'payment' | 'setup' | 'subscription';
  customer: string | null;
  client_reference_id: string | null;
  metadata: Metadata;
  subscription: string | null;
  status: 'open' | 'complete' | 'expired';
  [field: string]: unknown;
};

export type PortalSession = {
  id: string;
  object: 'billing_portal.session';
  url: string;
  customer: string;
  return_url: string | null;
  created: number;
  [field: string]: unknown;
};

export type Invoice = {
  id: string;
  object: 'invoice';
  customer: string | null;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  currency: string;
  /** Where the subscription reference lives since API 2025-03-31.basil (there is no `invoice.subscription`). */
  parent: { type: 'subscription_details'; quote_details: null; subscription_details: { metadata: Metadata; subscription: string } } | null;
  next_payment_attempt: number | null;
  period_start: number;
  period_end: number;
  [field: string]: unknown;
};

/** A PaymentIntent (Checkout in `payment` mode makes one when the payer pays). On a connected account. */
export type PaymentIntent = {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: 'requires_payment_method' | 'processing' | 'succeeded' | 'canceled';
  metadata: Metadata;
  application_fee_amount: number | null;
  latest_charge: string | null;
  [field: string]: unknown;
};

export type Charge = {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  paid: boolean;
  refunded: boolean;
  disputed: boolean;
  payment_intent: string;
  metadata: Metadata;
  [field: string]: unknown;
};

export type Refund = { id: string; object: 'refund'; amount: number; charge: string; payment_intent: string; status: 'succeeded'; [field: string]: unknown };
export type Dispute = {
  id: string;
  object: 'dispute';
  amount: number;
  charge: string;
  payment_intent: string;
  status: string;
  reason: string;
  [field: string]: unknown;
};

export type RecordedRequest = {
  method: string;
  /** The path without the query string, e.g. `/v1/subscriptions/sub_123`. */
  path: string;
  /** The query string decoded like `body` (GET parameters such as `expand[0]=latest_invoice`). */
  query: Record<string, unknown>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The form body decoded and nested by brackets: `line_items[0][price]=p` → `{ line_items: [{ price: 'p' }] }`. Values stay strings, as sent. */
  body: Record<string, unknown>;
  rawBody: string;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  /** The status answered; 0 when the connection was destroyed (`failNext(n, 0)`). */
  status: number;
};

export type StandInState = {
  customers: Map<string, Customer>;
  checkoutSessions: Map<string, CheckoutSession>;
  portalSessions: Map<string, PortalSession>;
  subscriptions: Map<string, Subscription>;
  paymentIntents: Map<string, PaymentIntent>;
  charges: Map<string, Charge>;
  refunds: Map<string, Refund>;
  disputes: Map<string, Dispute>;
  /** Which connected account (`Stripe-Account` header) owns each object; absent: the platform's own. */
  accountOf: Map<string, string>;
  /** What `POST /v1/invoices/create_preview` charges; change it freely. */
  invoicePreview: { amount_due: number; currency: string };
};

export type StripeStandIn = {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  state: StandInState;
  /** The next `count` requests answer `status` (default 500) with a Stripe `api_error`; `status = 0` destroys the connection instead. Calls queue up. */
  failNext(count: number, status?: number): void;
  /** The payer pays a `payment`-mode Checkout Session: a succeeded PaymentIntent and a paid Charge appear on the session's
   * account (metadata and `application_fee_amount` from `payment_intent_data`), the session becomes complete/paid. */
  completeCheckout(sessionId: string): { session: CheckoutSession; paymentIntent: PaymentIntent; charge: Charge };
  /** The session expires unpaid (`status: 'expired'`). */
  expireCheckout(sessionId: string): CheckoutSession;
  /** The payer's bank disputes the charge: a dispute appears and the charge turns `disputed: true`. */
  dispute(chargeId: string, reason?: string): Dispute;
  /** Adds or updates a subscription for `GET /v1/subscriptions/:id`: merged over the stored one, or over a default active one-item subscription. */
  setSubscription(sub: Partial<Subscription> & { id: string }): void;
  close(): Promise<void>;
};

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
type StripeErrorBody = { type: string; message: string; code?: string; param?: string };

const open = new Set<StripeStandIn>();
atTeardown('stripe stand-ins', async () => {
  await Promise.all([...open].map((standIn) => standIn.close()));
});

/** Starts a stand-in on a free port of 127.0.0.1. Close it when done (open ones are closed after the test file). */
export async function startStripeServer(): Promise<StripeStandIn> {
  const requests: RecordedRequest[] = [];
  const failures: number[] = [];
  const idempotent = new Map<string, { fingerprint: string; reply: Reply }>();
  const state: StandInState = {
    customers: new Map(),
    checkoutSessions: new Map(),
    portalSessions: new Map(),
    subscriptions: new Map(),
    invoicePreview: { amount_due: 5000, currency: 'usd' },
    paymentIntents: new Map(),
    charges: new Map(),
    refunds: new Map(),
    disputes: new Map(),
    accountOf: new Map(),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://stripe.test');
      const headers = flattenHeaders(req.headers);
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: decodeForm(url.search.slice(1)),
        headers,
        body: decodeBody(rawBody, headers['content-type']),
        rawBody,
        idempotencyKey: headers['idempotency-key'],
        stripeVersion: headers['stripe-version'],
        status: 0,
      };
      requests.push(record);

      const failure = failures.shift();
      if (failure === 0) {
        req.socket.destroy();
        return;
      }
      const reply = failure === undefined ? answer(record) : injectedFailure(failure);
      record.status = reply.status;
      send(res, record, reply);
    });
  });

  function answer(request: RecordedRequest): Reply {
    const apiKey = bearerKey(request.headers.authorization);
    if (apiKey === undefined) {
      return error(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      });
    }
    if (!/^sk_test_\w+$/.test(apiKey)) {
      return error(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${redact(apiKey)}` });
    }
    if (request.method !== 'POST' || request.idempotencyKey === undefined) return route(request);

    // Idempotency keys are scoped to the API key; GET and DELETE ignore them, as on Stripe.
    const scope = `${apiKey}\u0000${request.idempotencyKey}`;
    const fingerprint = `${request.method} ${request.path}\u0000${request.rawBody}`;
    const saved = idempotent.get(scope);
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        return error(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      return { ...saved.reply, headers: { ...saved.reply.headers, 'Idempotent-Replayed': 'true' } };
    }
    const reply = route(request);
    if (reply.status < 400) idempotent.set(scope, { fingerprint, reply });
    return reply;
  }

  function route(request: RecordedRequest): Reply {
    const { method, path, body } = request;
    const match = (pattern: RegExp): string | undefined => {
      const found = pattern.exec(path);
      return found?.[1] === undefined ? undefined : decodeURIComponent(found[1]);
    };
    const created = Math.floor(Date.now() / 1000);

    if (method === 'POST' && path === '/v1/customers') {
      const customer: Customer = {
        id: stripeId('cus', 14),
        object: 'customer',
        address: null,
        balance: 0,
        created,
        currency: null,
        default_source: null,
        delinquent: false,
        description: stringOrNull(body.description),
        email: stringOrNull(body.email),
        invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
        invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
        livemode: false,
        metadata: metadataOf(body.metadata),
        name: stringOrNull(body.name),
        phone: stringOrNull(body.phone),
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
      };
      state.customers.set(customer.id, customer);
      return ok(customer);
    }

    const customerId = match(/^\/v1\/customers\/([^/]+)$/);
    if (customerId !== undefined && (method === 'GET' || method === 'POST')) {
      const customer = state.customers.get(customerId);
      if (!customer) return missing('customer', customerId);
      if (method === 'POST') {
        for (const field of ['email', 'name', 'description', 'phone'] as const) {
          if (field in body) customer[field] = stringOrNull(body[field]) || null;
        }
        if (isRecord(body.metadata)) customer.metadata = mergeMetadata(customer.metadata, body.metadata);
      }
      return ok(customer);
    }

    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const mode = body.mode;
      if (mode === undefined) return parameterMissing('mode');
      if (mode !== 'payment' && mode !== 'setup' && mode !== 'subscription') {
        return error(400, {
          type: 'invalid_request_error',
          code: 'parameter_invalid_string',
          param: 'mode',
          message: `Invalid mode: must be one of payment, setup, or subscription`,
        });
      }
      if (mode === 'subscription' && !Array.isArray(body.line_items)) return parameterMissing('line_items');
      if (mode === 'payment' && !Array.isArray(body.line_items)) return parameterMissing('line_items');
      let amountTotal: number | null = null;
      let currency: string | null = null;
      if (mode === 'payment') {
        amountTotal = 0;
        for (const item of body.line_items as Record<string, unknown>[]) {
          const priceData = isRecord(item.price_data) ? item.price_data : undefined;
          if (!priceData) return parameterMissing('line_items[0][price_data]');
          if (typeof priceData.currency !== 'string') return parameterMissing('line_items[0][price_data][currency]');
          currency = priceData.currency;
          amountTotal += Number(priceData.unit_amount) * Number(item.quantity ?? 1);
        }
        const intentData = isRecord(body.payment_intent_data) ? body.payment_intent_data : {};
        if (intentData.application_fee_amount !== undefined && request.headers['stripe-account'] === undefined) {
          return error(400, {
            type: 'invalid_request_error',
            param: 'payment_intent_data[application_fee_amount]',
            message:
              'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
          });
        }
      }
      if (body.expires_at !== undefined) {
        const expiresAt = Number(body.expires_at);
        if (!(expiresAt >= created + 30 * 60 - 5 && expiresAt <= created + 24 * 60 * 60)) {
          return error(400, {
            type: 'invalid_request_error',
            code: 'parameter_invalid_integer',
            param: 'expires_at',
            message: 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
          });
        }
      }
      const id = stripeId('cs_test', 58);
      const session: CheckoutSession = {
        id,
        object: 'checkout.session',
        allow_promotion_codes: body.allow_promotion_codes === 'true' ? true : null,
        amount_subtotal: amountTotal,
        amount_total: amountTotal,
        cancel_url: stringOrNull(body.cancel_url),
        client_reference_id: stringOrNull(body.client_reference_id),
        created,
        currency,
        customer: stringOrNull(body.customer),
        customer_email: stringOrNull(body.customer_email),
        expires_at: body.expires_at !== undefined ? Number(body.expires_at) : created + 24 * 60 * 60,
        invoice: null,
        livemode: false,
        metadata: metadataOf(body.metadata),
        mode,
        payment_intent: null,
        payment_status: 'unpaid',
        status: 'open',
        subscription: null,
        success_url: stringOrNull(body.success_url),
        ui_mode: 'hosted',
        url: `https://checkout.stripe.test/c/pay/${id}`,
      };
      if (mode === 'payment') session.payment_intent_data = isRecord(body.payment_intent_data) ? body.payment_intent_data : {};
      state.checkoutSessions.set(id, session);
      own(id, request);
      return ok(publicSession(session));
    }

    const sessionId = match(/^\/v1\/checkout\/sessions\/([^/]+)$/);
    if (method === 'GET' && sessionId !== undefined) {
      const session = state.checkoutSessions.get(sessionId);
      if (!session || !visible(sessionId, request)) return missing('checkout.session', sessionId);
      const out: Record<string, unknown> = publicSession(session);
      const expand = expansions(request.query.expand);
      // Expanding `payment_intent.latest_charge` expands `payment_intent` too, as on Stripe.
      if ((expand.has('payment_intent') || expand.has('payment_intent.latest_charge')) && typeof session.payment_intent === 'string') {
        out.payment_intent = intentWith(session.payment_intent, expand.has('payment_intent.latest_charge'));
      }
      return ok(out);
    }

    const intentId = match(/^\/v1\/payment_intents\/([^/]+)$/);
    if (method === 'GET' && intentId !== undefined) {
      if (!state.paymentIntents.has(intentId) || !visible(intentId, request)) return missing('payment_intent', intentId, 'intent');
      return ok(intentWith(intentId, expansions(request.query.expand).has('latest_charge')));
    }

    if (method === 'POST' && path === '/v1/refunds') {
      const chargeId = stringOrNull(body.charge) ?? state.paymentIntents.get(stringOrNull(body.payment_intent) ?? '')?.latest_charge ?? null;
      if (!chargeId && body.payment_intent === undefined) return parameterMissing('charge');
      const charge = chargeId ? state.charges.get(chargeId) : undefined;
      if (!charge || !visible(charge.id, request)) {
        return body.payment_intent !== undefined
          ? missing('payment_intent', String(body.payment_intent), 'payment_intent')
          : missing('charge', String(chargeId), 'charge');
      }
      const left = charge.amount - charge.amount_refunded;
      const amount = body.amount === undefined ? left : Number(body.amount);
      if (left <= 0) {
        return error(400, { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${charge.id} has already been refunded.` });
      }
      if (!(amount > 0 && amount <= left)) {
        return error(400, {
          type: 'invalid_request_error',
          code: 'amount_too_large',
          param: 'amount',
          message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        });
      }
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded >= charge.amount;
      const refund: Refund = {
        id: stripeId('re', 24),
        object: 'refund',
        amount,
        charge: charge.id,
        created,
        currency: charge.currency,
        metadata: metadataOf(body.metadata),
        payment_intent: charge.payment_intent,
        reason: stringOrNull(body.reason),
        status: 'succeeded',
      };
      state.refunds.set(refund.id, refund);
      own(refund.id, request);
      return ok(refund);
    }

    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      const customer = stringOrNull(body.customer);
      if (!customer) return parameterMissing('customer');
      const id = stripeId('bps', 24);
      const session: PortalSession = {
        id,
        object: 'billing_portal.session',
        configuration: 'bpc_edifytestdefault',
        created,
        customer,
        flow: null,
        livemode: false,
        locale: null,
        on_behalf_of: null,
        return_url: stringOrNull(body.return_url),
        url: `https://billing.stripe.test/p/session/test_${randomBytes(24).toString('base64url')}`,
      };
      state.portalSessions.set(id, session);
      return ok(session);
    }

    const subscriptionId = match(/^\/v1\/subscriptions\/([^/]+)$/);
    if (method === 'GET' && subscriptionId !== undefined) {
      const subscription = state.subscriptions.get(subscriptionId);
      return subscription ? ok(subscription) : missing('subscription', subscriptionId);
    }

    if (method === 'POST' && path === '/v1/invoices/create_preview') return invoicePreview(body, created);

    return error(404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  }

  // The next invoice of a subscription (`subscription`) or of the customer's first live subscription (`customer`).
  function invoicePreview(body: Record<string, unknown>, created: number): Reply {
    const subscriptionId = stringOrNull(body.subscription);
    const customerId = stringOrNull(body.customer);
    if (!subscriptionId && !customerId) return parameterMissing('customer');
    let subscription: Subscription | undefined;
    if (subscriptionId) {
      subscription = state.subscriptions.get(subscriptionId);
      if (!subscription) return missing('subscription', subscriptionId, 'subscription');
    } else {
      subscription = [...state.subscriptions.values()].find((s) => s.customer === customerId && !isEnded(s));
    }
    if (!subscription || isEnded(subscription) || subscription.cancel_at_period_end) {
      return error(404, {
        type: 'invalid_request_error',
        code: 'invoice_upcoming_none',
        message: `No upcoming invoices for customer: ${customerId ?? subscription?.customer}`,
      });
    }
    const item = subscription.items.data[0];
    const periodStart = item?.current_period_start ?? created;
    const periodEnd = item?.current_period_end ?? created;
    const { amount_due: amountDue, currency } = state.invoicePreview;
    return ok({
      id: stripeId('upcoming_in', 24),
      object: 'invoice',
      amount_due: amountDue,
      amount_paid: 0,
      amount_remaining: amountDue,
      billing_reason: 'upcoming',
      created: periodEnd,
      currency,
      customer: subscription.customer,
      lines: {
        object: 'list',
        data: item
          ? [
              {
                id: stripeId('il_tmp', 24),
                object: 'line_item',
                amount: amountDue,
                currency,
                parent: {
                  type: 'subscription_item_details',
                  invoice_item_details: null,
                  subscription_item_details: {
                    invoice_item: null,
                    proration: false,
                    proration_details: { credited_items: null },
                    subscription: subscription.id,
                    subscription_item: item.id,
                  },
                },
                period: { start: periodEnd, end: periodEnd + (periodEnd - periodStart) },
                pricing: {
                  type: 'price_details',
                  price_details: { price: item.price.id, product: item.price.product ?? null },
                  unit_amount_decimal: String(amountDue),
                },
                quantity: item.quantity,
              },
            ]
          : [],
        has_more: false,
        total_count: item ? 1 : 0,
        url: '/v1/invoices/upcoming/lines',
      },
      livemode: false,
      // Stripe creates the renewal invoice at the period's end and attempts payment about an hour later.
      next_payment_attempt: periodEnd + 60 * 60,
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: subscription.metadata, subscription: subscription.id } },
      period_end: periodEnd,
      period_start: periodStart,
      status: 'draft',
      subtotal: amountDue,
      total: amountDue,
    });
  }

  // Connect: an object made with a `Stripe-Account` header lives on that account and is invisible from any other.
  function own(id: string, request: RecordedRequest): void {
    const account = request.headers['stripe-account'];
    if (account) state.accountOf.set(id, account);
  }
  function visible(id: string, request: RecordedRequest): boolean {
    return state.accountOf.get(id) === request.headers['stripe-account'];
  }
  function intentWith(id: string, withCharge: boolean): Record<string, unknown> {
    const intent = state.paymentIntents.get(id) as PaymentIntent;
    return withCharge && intent.latest_charge ? { ...intent, latest_charge: state.charges.get(intent.latest_charge) } : { ...intent };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const standIn: StripeStandIn = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    state,
    failNext(count, status = 500) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`failNext: count must be a non-negative integer, got ${count}`);
      if (status !== 0 && (status < 400 || status > 599)) throw new RangeError(`failNext: status must be 0 or 4xx/5xx, got ${status}`);
      for (let i = 0; i < count; i++) failures.push(status);
    },
    completeCheckout(sessionId) {
      const session = state.checkoutSessions.get(sessionId);
      if (session?.mode !== 'payment' || session.status !== 'open') throw new Error(`completeCheckout: no open payment session ${sessionId}`);
      const account = state.accountOf.get(sessionId);
      const data = (session.payment_intent_data ?? {}) as Record<string, unknown>;
      const amount = Number(session.amount_total);
      const created = Math.floor(Date.now() / 1000);
      const paymentIntent: PaymentIntent = {
        id: stripeId('pi', 24),
        object: 'payment_intent',
        amount,
        amount_received: amount,
        application_fee_amount: data.application_fee_amount === undefined ? null : Number(data.application_fee_amount),
        created,
        currency: String(session.currency),
        latest_charge: null,
        livemode: false,
        metadata: metadataOf(data.metadata),
        status: 'succeeded',
      };
      const charge: Charge = {
        id: stripeId('ch', 24),
        object: 'charge',
        amount,
        amount_captured: amount,
        amount_refunded: 0,
        application_fee_amount: paymentIntent.application_fee_amount,
        created,
        currency: paymentIntent.currency,
        disputed: false,
        livemode: false,
        metadata: { ...paymentIntent.metadata },
        paid: true,
        payment_intent: paymentIntent.id,
        refunded: false,
        status: 'succeeded',
      };
      paymentIntent.latest_charge = charge.id;
      state.paymentIntents.set(paymentIntent.id, paymentIntent);
      state.charges.set(charge.id, charge);
      if (account) {
        state.accountOf.set(paymentIntent.id, account);
        state.accountOf.set(charge.id, account);
      }
      Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: paymentIntent.id, url: null });
      return { session: publicSession(session), paymentIntent: { ...paymentIntent }, charge: { ...charge } };
    },
    expireCheckout(sessionId) {
      const session = state.checkoutSessions.get(sessionId);
      if (session?.status !== 'open') throw new Error(`expireCheckout: no open session ${sessionId}`);
      Object.assign(session, { status: 'expired', url: null });
      return publicSession(session);
    },
    dispute(chargeId, reason = 'fraudulent') {
      const charge = state.charges.get(chargeId);
      if (!charge) throw new Error(`dispute: no charge ${chargeId}`);
      charge.disputed = true;
      const dispute: Dispute = {
        id: stripeId('dp', 24),
        object: 'dispute',
        amount: charge.amount,
        charge: charge.id,
        created: Math.floor(Date.now() / 1000),
        currency: charge.currency,
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        payment_intent: charge.payment_intent,
        reason,
        status: 'needs_response',
      };
      state.disputes.set(dispute.id, dispute);
      const account = state.accountOf.get(chargeId);
      if (account) state.accountOf.set(dispute.id, account);
      return dispute;
    },
    setSubscription(sub) {
      const base =
        state.subscriptions.get(sub.id) ??
        subscriptionObject({ id: sub.id, customer: sub.customer ?? stripeId('cus', 14), status: sub.status ?? 'active', created: sub.created });
      state.subscriptions.set(sub.id, { ...base, ...sub });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        open.delete(standIn);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
  open.add(standIn);
  return standIn;
}

function send(res: http.ServerResponse, request: RecordedRequest, reply: Reply): void {
  const payload = `${JSON.stringify(reply.body, null, 2)}\n`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(payload)),
    'Request-Id': stripeId('req', 14),
    'Stripe-Version': request.stripeVersion ?? Stripe.API_VERSION,
    ...(request.method === 'POST' && request.idempotencyKey !== undefined ? { 'Idempotency-Key': request.idempotencyKey } : {}),
    ...reply.headers,
  };
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function injectedFailure(status: number): Reply {
  if (status === 429) {
    return error(429, {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    });
  }
  return error(status, { type: 'api_error', message: 'Something went wrong on our end. Please try again later. (injected by the Stripe stand-in)' });
}

/** A session as the API shows it: `payment_intent_data` is a creation parameter, never echoed back. */
function publicSession(session: CheckoutSession): CheckoutSession {
  const { payment_intent_data: _data, ...shown } = session;
  return shown as CheckoutSession;
}

function expansions(value: unknown): Set<string> {
  return new Set(Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function error(status: number, details: StripeErrorBody): Reply {
  const docUrl = details.code ? { doc_url: `https://stripe.com/docs/error-codes/${details.code.replaceAll('_', '-')}` } : {};
  return { status, body: { error: { ...details, ...docUrl } } };
}

function missing(resource: string, id: string, param = 'id'): Reply {
  return error(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${resource}: '${id}'` });
}

function parameterMissing(param: string): Reply {
  return error(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` });
}

function isEnded(subscription: Subscription): boolean {
  return subscription.status === 'canceled' || subscription.status === 'incomplete_expired';
}

function bearerKey(authorization: string | undefined): string | undefined {
  const found = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return found?.[1];
}

function redact(key: string): string {
  return key.length <= 12 ? `${key.slice(0, 3)}****` : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metadataOf(value: unknown): Metadata {
  return mergeMetadata({}, isRecord(value) ? value : {});
}

// Stripe's metadata update: keys merge in, an empty value deletes the key.
function mergeMetadata(current: Metadata, update: Record<string, unknown>): Metadata {
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '' || typeof value !== 'string') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function decodeBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : { _: parsed };
    } catch {
      return {};
    }
  }
  return decodeForm(raw);
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Decodes `application/x-www-form-urlencoded` the way Stripe reads it: `a[b][c]=v` nests, `a[0][b]=v` and
 * `a[]=v` make arrays (objects whose keys are exactly 0..n-1 become arrays, except under `metadata`).
 */
export function decodeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const segments = keySegments(key);
    if (segments.some((segment) => UNSAFE_KEYS.has(segment))) continue;
    let node = root;
    segments.forEach((segment, index) => {
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (index === segments.length - 1) {
        node[name] = value;
        return;
      }
      const next = node[name];
      if (isRecord(next)) node = next;
      else {
        const child: Record<string, unknown> = {};
        node[name] = child;
        node = child;
      }
    });
  }
  return arrayify(root, '') as Record<string, unknown>;
}

function keySegments(key: string): string[] {
  const found = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(key);
  if (!found || found[1] === undefined || found[2] === undefined) return [key];
  return [found[1], ...Array.from(found[2].matchAll(/\[([^[\]]*)\]/g), (m) => m[1] ?? '')];
}

function arrayify(value: unknown, key: string): unknown {
  if (!isRecord(value)) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, arrayify(v, k)] as const);
  const keys = entries.map(([k]) => k);
  if (key !== 'metadata' && keys.length > 0 && keys.every((k, i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
