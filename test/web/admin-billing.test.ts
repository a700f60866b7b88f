// /admin/billing in the browser against the Stripe stand-in (test/helpers/stripe-server.ts): a
// past-due school's admin sees the banner, the next invoice and reaches the customer portal, and
// Stripe's return address leads back to the page; a school on its trial picks a plan and goes to
// Checkout, and the page Stripe returns to says what happens next. Stripe's own pages are stood
// in by the browser (context.route), since their addresses do not resolve here.
import test from 'ava';
import type { BrowserContext } from 'playwright-core';
import { withPlatform } from '../../tenants/session.ts';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { scene } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { startStripeServer } from '../helpers/stripe-server.ts';

const DAY = 86_400_000;

async function setBilling(id: string, fields: Record<string, unknown>) {
  await withPlatform(testEnv().dbs.owner, (db) => db('tenants').where({ id }).update(fields));
}

/** Stripe's hosted pages, stood in: a page that says where the browser is. */
async function standInStripePages(context: BrowserContext) {
  await context.route(/^https:\/\/(billing|checkout)\.stripe\.test\//, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Stripe</title><h1>Stripe stand-in</h1>' }),
  );
}

let started: Promise<{ stripe: Awaited<ReturnType<typeof startStripeServer>>; app: Awaited<ReturnType<typeof startApp>> }> | undefined;
/** One Stripe stand-in and one app for the file. */
function stripeAndApp() {
  started ??= (async () => {
    const stripe = await startStripeServer();
    const app = await startApp({ stripe: { secretKey: 'sk_test_edify', webhookSecrets: ['whsec_web_0123456789abcdef'], apiBase: stripe.url } });
    return { stripe, app };
  })();
  return started;
}

test('a past-due school’s admin sees the banner and reaches the customer portal, and comes back to billing', async (t) => {
  const { stripe, app } = await stripeAndApp();
  const { school, admin } = await scene({ app, people: { teacher: 'teacher' } });
  const customer = `cus_${school.slug.replace(/-/g, '')}`;
  const subscription = `sub_${school.slug.replace(/-/g, '')}`;
  stripe.setSubscription({ id: subscription, customer, status: 'past_due' });
  stripe.state.invoicePreview = { amount_due: 12_900, currency: 'usd' };
  await setBilling(school.tenant.id, {
    plan: 'school',
    seat_limit: 1200,
    billing_status: 'past_due',
    past_due_since: new Date(Date.now() - 2 * DAY),
    stripe_customer_id: customer,
    stripe_subscription_id: subscription,
  });

  const context = await openContext();
  await standInStripePages(context);
  const page = await context.newPage();
  const home = schoolUrl(app.port, school.slug);
  await signIn(page, home, admin);
  t.regex(await page.locator('#billing-banner').innerText(), /A payment failed/);

  await page.goto(schoolUrl(app.port, school.slug, '/admin/billing'));
  t.regex(await page.getByRole('alert').innerText(), /A payment failed/);
  const facts = await page.locator('dl.facts').innerText();
  t.regex(facts, /School/);
  t.regex(facts, /1 of 1200/, 'one teacher takes a seat; the admin does not');
  t.regex(facts, /\$129\.00/);
  t.is(await page.getByRole('button', { name: /^Subscribe/ }).count(), 0, 'a paying school changes plan in the portal');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-billing-past-due');
  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page));

  await page.getByRole('button', { name: 'Update the payment method' }).click();
  await page.waitForURL(/^https:\/\/billing\.stripe\.test\//);
  const portal = [...stripe.state.portalSessions.values()].at(-1);
  t.is(portal?.customer, customer);
  // (The school's configured address; the test app listens on another port.)
  const back = new URL(String(portal?.return_url));
  t.is(back.pathname, '/billing');
  t.is(back.hostname, `${school.slug}.localhost`);

  // Stripe sends the admin back to /billing, which leads to the billing page.
  await page.goto(schoolUrl(app.port, school.slug, back.pathname));
  await page.waitForURL(/\/admin\/billing$/);
  t.true(await page.getByRole('heading', { name: 'Billing' }).isVisible());
  await context.close();
});

test('a school on its free trial chooses a plan at Stripe Checkout; the return page says what happens next', async (t) => {
  const { stripe, app } = await stripeAndApp();
  const { school, admin } = await scene({ app, people: {} });
  await setBilling(school.tenant.id, { plan: 'starter', seat_limit: 150, billing_status: 'trialing', trial_ends_at: new Date(Date.now() + 20 * DAY) });
  const context = await openContext();
  await standInStripePages(context);
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), admin);
  t.regex(await page.locator('#billing-banner').innerText(), /Free trial until/);
  await page.goto(schoolUrl(app.port, school.slug, '/admin/billing'));
  t.regex(await page.locator('dl.facts').innerText(), /Free trial until/);
  t.is(await page.getByRole('button', { name: /^Subscribe to / }).count(), 3, 'one per configured plan');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-billing-trial');

  await page.getByRole('button', { name: 'Subscribe to School' }).click();
  await page.waitForURL(/^https:\/\/checkout\.stripe\.test\//);
  const checkout = [...stripe.state.checkoutSessions.values()].at(-1);
  t.is(checkout?.metadata.plan, 'school');
  t.is(checkout?.client_reference_id, school.tenant.id);

  const success = new URL(String(checkout?.success_url));
  await page.goto(schoolUrl(app.port, school.slug, `${success.pathname}${success.search}`));
  await page.waitForURL(/\/admin\/billing\?checkout=done$/);
  t.regex(await page.getByRole('status').filter({ hasText: 'Thank you' }).innerText(), /Stripe is confirming the payment/);
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test('only admins reach billing; a read-only school’s admin still does', async (t) => {
  const { app } = await stripeAndApp();
  const { school, admin, teacher } = await scene({ app, people: { teacher: 'teacher' } });
  await setBilling(school.tenant.id, { plan: 'starter', billing_status: 'canceled' });
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), teacher);
  t.is((await page.goto(schoolUrl(app.port, school.slug, '/admin/billing')))?.status(), 403);
  t.is((await page.goto(schoolUrl(app.port, school.slug, '/billing')))?.status(), 403);
  await context.clearCookies();
  await signIn(page, schoolUrl(app.port, school.slug), admin);
  await page.goto(schoolUrl(app.port, school.slug, '/admin/billing'));
  t.regex(await page.getByRole('alert').innerText(), /The school is read-only/);
  t.true(await page.locator('#billing-banner.read-only').isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-billing-read-only');
  await context.close();
});
