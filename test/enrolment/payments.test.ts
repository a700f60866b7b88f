// Paid enrolment through Stripe Checkout on the school's connected account (the official client
// against the stand-in, Connect headers included), and the Connect webhook: signed, deduplicated,
// order-safe. A paid enrolment happens once under redelivery and ends on refund or dispute.
import test from 'ava';
import type { Config } from '../../api/config.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { type Person, scene } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { waitForMail } from '../helpers/mail.ts';
import { startStripeServer } from '../helpers/stripe-server.ts';
import { signedWebhook, stripeEvent } from '../helpers/stripe-webhooks.ts';

const CONNECT_SECRET = 'whsec_connect_0123456789abcdef';

async function stripeWorld() {
  const stand = await startStripeServer();
  const stripe: Config['stripe'] = {
    secretKey: 'sk_test_edify',
    webhookSecrets: ['whsec_platform_0123456789abcdef'],
    apiBase: stand.url,
    connectWebhookSecrets: [CONNECT_SECRET],
  };
  const w = await scene({
    app: startApp({ stripe, coursePlatformFeePercent: 10 }),
    people: { teacher: 'teacher', student: 'student' },
    classes: { klass: { name: 'Summer reading', teachers: ['teacher'] } },
  });
  const { app, school, klass } = w;
  const account = `acct_${school.slug.replace(/[^a-z0-9]/g, '')}`;
  const must = async (method: string, path: string, body: unknown, who: Person = w.admin) => {
    const res = await w.request(who, method, path, body);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  await must('PUT', '/api/v1/course-payments/account', { stripe_account_id: account });
  await must('PUT', `/api/v1/classes/${klass.id}/offering`, { self_enrol: true, price_amount: 2500, currency: 'usd', cap: 10 }, w.teacher);
  const deliver = (type: string, object: Record<string, unknown>, options: { id?: string; secret?: string } = {}) => {
    const event = stripeEvent(type, object, { account, ...(options.id ? { id: options.id } : {}) });
    const signed = signedWebhook(event, options.secret ?? CONNECT_SECRET);
    return app.request(null, 'POST', '/webhooks/stripe/connect', {
      raw: signed.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature },
    });
  };
  const roster = () =>
    withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('enrollments').where({ class_id: klass.id, role: 'student' }).pluck('user_id'));
  const audits = (action: string) => withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('audit_events').where({ action }).select('details'));
  return { ...w, stand, account, deliver, roster, audits };
}

test('a paid enrolment happens once under redelivery and out-of-order delivery, and ends on refund', async (t) => {
  const w = await stripeWorld();
  const checkout = await w.request(w.student, 'POST', `/api/v1/classes/${w.klass.id}/offering/checkout`);
  t.is(checkout.status, 200, JSON.stringify(checkout.body));
  t.regex(checkout.body.url, /^https:\/\/checkout\.stripe\.test\//);
  const created = w.stand.requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
  t.is(created?.headers['stripe-account'], w.account, 'created on the school’s connected account');
  t.like(created?.body, { mode: 'payment', payment_intent_data: { application_fee_amount: '250' } });
  t.truthy(created?.idempotencyKey);
  const again = await w.request(w.student, 'POST', `/api/v1/classes/${w.klass.id}/offering/checkout`);
  t.is(again.body.url, checkout.body.url, 'an unfinished checkout is reused, not a second place held');

  const sessionId = [...w.stand.state.checkoutSessions.keys()][0] as string;
  const paid = w.stand.completeCheckout(sessionId);
  const completed = { ...paid.session } as Record<string, unknown>;
  const first = await w.deliver('checkout.session.completed', completed, { id: `evt_completed_${w.school.slug}` });
  t.is(first.status, 200, JSON.stringify(first.body));
  t.deepEqual(await w.roster(), [w.student.id]);
  const redelivered = await w.deliver('checkout.session.completed', completed, { id: `evt_completed_${w.school.slug}` });
  t.true(redelivered.body.duplicate);
  await w.deliver('checkout.session.async_payment_succeeded', completed);
  t.deepEqual(await w.roster(), [w.student.id], 'enrolled once');
  t.is((await w.audits('enrolment.paid')).length, 1);
  const receipts = (await waitForMail(MAIL_DIR, w.student.email)).filter((m) => /Receipt/.test(m.subject));
  t.is(receipts.length, 1);
  t.regex(receipts[0]?.text ?? '', /USD 25\.00/);

  // The refund (through the API, on the connected account), then a stale "completed" arrives late.
  const stripe = await w.app.deps.billing?.client();
  await stripe?.refunds.create({ payment_intent: paid.paymentIntent.id }, { stripeAccount: w.account });
  const refundedCharge = w.stand.state.charges.get(paid.charge.id) as unknown as Record<string, unknown>;
  t.is((await w.deliver('charge.refunded', refundedCharge)).status, 200);
  t.deepEqual(await w.roster(), [], 'a refund ends access');
  await w.deliver('checkout.session.completed', completed);
  t.deepEqual(await w.roster(), [], 'a late completed event does not enrol again');
  t.like((await w.audits('enrolment.ended'))[0]?.details, { reason: 'refunded', removed: true });
});

test('a dispute arriving before completion never enrols; a bad signature is refused and changes nothing', async (t) => {
  const w = await stripeWorld();
  const checkout = await w.request(w.student, 'POST', `/api/v1/classes/${w.klass.id}/offering/checkout`);
  t.is(checkout.status, 200);
  const sessionId = [...w.stand.state.checkoutSessions.keys()][0] as string;
  const paid = w.stand.completeCheckout(sessionId);

  const forged = await w.deliver('checkout.session.completed', { ...paid.session }, { secret: 'whsec_wrong_0123456789abcdef' });
  t.is(forged.status, 400);
  const platformSecret = await w.deliver('checkout.session.completed', { ...paid.session }, { secret: 'whsec_platform_0123456789abcdef' });
  t.is(platformSecret.status, 400, 'the subscription endpoint’s secret does not sign Connect events');
  t.deepEqual(await w.roster(), []);

  const dispute = w.stand.dispute(paid.charge.id);
  t.is((await w.deliver('charge.dispute.created', dispute as unknown as Record<string, unknown>)).status, 200);
  await w.deliver('checkout.session.completed', { ...paid.session });
  t.deepEqual(await w.roster(), [], 'Stripe’s current state is disputed: no enrolment');
  const row = await withTenant(testEnv().dbs.app, { id: w.school.tenant.id }, (db) => db('course_payments').first('status'));
  t.is(row.status, 'disputed');
});
