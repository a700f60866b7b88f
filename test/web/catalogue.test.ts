// The catalogue pages in the browser (issue #18 item 7): a student finds a free course and enrols;
// refusals say why (full, not open yet, closed); a paid course goes to Stripe Checkout on the
// school's connected account (the Stripe stand-in), the signed Connect webhook completes it, and
// the page Checkout returns to says "waiting" and then "enrolled" from the payment's real state;
// a teacher sets an offering through the form; an admin connects the Stripe account.
// Stripe's hosted pages are stood in by the browser (context.route): their addresses do not
// resolve here.
import test from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import type { Config } from '../../api/config.ts';
import { withTenant } from '../../tenants/session.ts';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { type Person, type School, scene, type schoolApi } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { startStripeServer } from '../helpers/stripe-server.ts';
import { signedWebhook, stripeEvent } from '../helpers/stripe-webhooks.ts';

const CONNECT_SECRET = 'whsec_connect_web_0123456789abcdef';
const DAY = 86_400_000;

let started: Promise<{ stand: Awaited<ReturnType<typeof startStripeServer>>; app: Awaited<ReturnType<typeof startApp>> }> | undefined;
/** One Stripe stand-in and one app for the file. */
function stripeAndApp() {
  started ??= (async () => {
    const stand = await startStripeServer();
    const stripe: Config['stripe'] = {
      secretKey: 'sk_test_edify',
      webhookSecrets: ['whsec_platform_web_0123456789abcdef'],
      apiBase: stand.url,
      connectWebhookSecrets: [CONNECT_SECRET],
    };
    const app = await startApp({ stripe, coursePlatformFeePercent: 10 });
    return { stand, app };
  })();
  return started;
}

/** The scene's request as `who`, throwing unless it succeeds; answers the body. */
async function api(w: Pick<ReturnType<typeof schoolApi>, 'request'>, who: Person, method: string, path: string, body?: unknown) {
  const res = await w.request(who, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function standInStripePages(context: BrowserContext) {
  await context.route(/^https:\/\/checkout\.stripe\.test\//, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><html lang="en"><title>Stripe</title><h1>Stripe stand-in</h1></html>' }),
  );
}

async function checkPage(t: import('ava').ExecutionContext, page: Page, name: string) {
  t.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
  await screenshot(page, name);
  const size = page.viewportSize();
  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page), `${name} fits 360 px`);
  if (size) await page.setViewportSize(size);
}

const roster = (school: School, classId: string) =>
  withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('enrollments').where({ class_id: classId, role: 'student' }).pluck('user_id'));

test('a student finds a free course in the catalogue and enrols', async (t) => {
  const { app } = await stripeAndApp();
  const w = await scene({
    app,
    people: { teacher: { role: 'teacher', first_name: 'Rosa', last_name: 'Reader' }, student: 'student' },
    classes: { reading: { name: 'Summer reading', teachers: ['teacher'] }, chess: { name: 'Chess club', teachers: ['teacher'] } },
  });
  const { school, teacher, student, reading, chess } = w;
  await api(w, teacher, 'PUT', `/api/v1/classes/${reading.id}/offering`, { self_enrol: true, cap: 5 });
  await api(w, teacher, 'PUT', `/api/v1/classes/${chess.id}/offering`, { self_enrol: true });

  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), student);
  await page.getByRole('navigation').getByRole('link', { name: 'Catalogue' }).click();
  await page.waitForURL(/\/catalogue$/);
  t.true(await page.getByRole('heading', { name: 'Course catalogue' }).isVisible());
  t.is(
    await page
      .getByRole('listitem')
      .filter({ has: page.getByRole('heading', { level: 2 }) })
      .count(),
    2,
  );
  await checkPage(t, page, 'catalogue');

  await page.getByLabel('Search courses').fill('reading');
  await page.locator('form[action="/catalogue"]').getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=reading/);
  const cards = page.locator('ul.hub > li');
  t.is(await cards.count(), 1);
  const card = await cards.first().innerText();
  t.regex(card, /Summer reading/);
  t.regex(card, /Rosa Reader/);
  t.regex(card, /5 places left/);
  t.regex(card, /Free/);

  await page.getByRole('link', { name: 'Summer reading' }).click();
  await page.waitForURL(new RegExp(`/catalogue/${reading.id}$`));
  await checkPage(t, page, 'catalogue-offering');
  await page.getByRole('button', { name: 'Enrol', exact: true }).click();
  await page.waitForURL(new RegExp(`/catalogue/${reading.id}\\?enrolled=1$`));
  t.regex(await page.getByRole('status').innerText(), /you are enrolled/);
  t.deepEqual(await roster(school, reading.id), [student.id]);
  t.is(await page.getByRole('button', { name: 'Enrol', exact: true }).count(), 0, 'no second Enrol button');
  await page.getByRole('link', { name: 'Go to the class' }).first().click();
  await page.waitForURL(new RegExp(`/classes/${reading.id}$`));
  await context.close();
});

test('refusals say why: full (also when it fills while the page is open), not open yet, closed', async (t) => {
  const { app } = await stripeAndApp();
  const w = await scene({
    app,
    people: { teacher: 'teacher', me: 'student', other: 'student', third: 'student' },
    classes: {
      small: { name: 'Small group', teachers: ['teacher'] },
      later: { name: 'Autumn poetry', teachers: ['teacher'] },
      over: { name: 'Spring drama', teachers: ['teacher'] },
    },
  });
  const { school, teacher, me, other, third, small, later, over } = w;
  await api(w, teacher, 'PUT', `/api/v1/classes/${small.id}/offering`, { self_enrol: true, cap: 2 });
  await api(w, other, 'POST', `/api/v1/classes/${small.id}/offering/enrol`);

  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), me);
  await page.goto(schoolUrl(app.port, school.slug, `/catalogue/${small.id}`));
  t.regex(await page.locator('dl.facts').innerText(), /1 place left/);
  // Someone takes the last place while this page is open: the Enrol button is refused, with the reason.
  await api(w, third, 'POST', `/api/v1/classes/${small.id}/offering/enrol`);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/enrol')),
    page.getByRole('button', { name: 'Enrol', exact: true }).click(),
  ]);
  t.is(answer.status(), 409);
  t.regex(await page.getByRole('alert').innerText(), /You can’t enrol: this course is full/);
  t.regex(await page.locator('#enrol-h + p').innerText(), /This course is full/);
  t.is(await page.getByRole('button', { name: 'Enrol', exact: true }).count(), 0);
  await checkPage(t, page, 'catalogue-full');
  t.false((await roster(school, small.id)).includes(me.id));

  await api(w, teacher, 'PUT', `/api/v1/classes/${later.id}/offering`, { self_enrol: true, opens_at: new Date(Date.now() + 2 * DAY).toISOString() });
  await page.goto(schoolUrl(app.port, school.slug, `/catalogue/${later.id}`));
  t.regex(await page.locator('#enrol-h + p').innerText(), /^Enrolment opens /);
  t.is(await page.getByRole('button', { name: 'Enrol', exact: true }).count(), 0);

  await api(w, teacher, 'PUT', `/api/v1/classes/${over.id}/offering`, {
    self_enrol: true,
    opens_at: new Date(Date.now() - 3 * DAY).toISOString(),
    closes_at: new Date(Date.now() - DAY).toISOString(),
  });
  await page.goto(schoolUrl(app.port, school.slug, `/catalogue/${over.id}`));
  t.regex(await page.locator('#enrol-h + p').innerText(), /has closed/);
  // The catalogue lists what is open or opening; a closed course is left out.
  await page.goto(schoolUrl(app.port, school.slug, '/catalogue'));
  const listed = await page.locator('ul.hub').innerText();
  t.regex(listed, /Autumn poetry/);
  t.regex(listed, /Small group/);
  t.notRegex(listed, /Spring drama/);
  await context.close();
});

test('a paid course: the admin connects Stripe, the student pays at Checkout, the webhook enrols, the return page says so', async (t) => {
  const { app, stand } = await stripeAndApp();
  const w = await scene({
    app,
    people: { teacher: 'teacher', student: 'student' },
    classes: { klass: { name: 'Guitar for beginners', teachers: ['teacher'] } },
  });
  const { school, teacher, student, klass } = w;
  const account = `acct_${school.slug.replace(/[^a-z0-9]/gi, '')}web`;

  // The admin connects the school's Stripe account on its own page, reached from the hub.
  const adminContext = await openContext();
  const adminPage = await adminContext.newPage();
  await signIn(adminPage, schoolUrl(app.port, school.slug), w.admin);
  await adminPage.goto(schoolUrl(app.port, school.slug, '/admin'));
  await adminPage.getByRole('link', { name: 'Course payments' }).click();
  await adminPage.waitForURL(/\/admin\/course-payments$/);
  await adminPage.getByLabel('Connected Stripe account id').fill('not-an-account');
  await adminPage.getByRole('button', { name: 'Save' }).click();
  t.regex(await adminPage.locator('#account-error').innerText(), /acct_/);
  await adminPage.getByLabel('Connected Stripe account id').fill(account);
  await adminPage.getByRole('button', { name: 'Save' }).click();
  await adminPage.waitForURL(/\?saved=1$/);
  t.regex(await adminPage.locator('#account-h + p').innerText(), new RegExp(account));
  await checkPage(t, adminPage, 'admin-course-payments');
  await adminContext.close();

  await api(w, teacher, 'PUT', `/api/v1/classes/${klass.id}/offering`, { self_enrol: true, price_amount: 2500, currency: 'usd', cap: 10 });
  const context = await openContext();
  await standInStripePages(context);
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), student);
  await page.goto(schoolUrl(app.port, school.slug, '/catalogue'));
  t.regex(await page.locator('ul.hub').innerText(), /USD 25\.00/);
  await page.getByRole('link', { name: 'Guitar for beginners' }).click();
  await page.waitForURL(new RegExp(`/catalogue/${klass.id}$`));
  t.is(await page.getByRole('button', { name: 'Enrol', exact: true }).count(), 0, 'a priced course has no free Enrol button');
  await page.getByRole('button', { name: 'Pay USD 25.00 and enrol' }).click();
  await page.waitForURL(/^https:\/\/checkout\.stripe\.test\//);
  const created = stand.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions').at(-1);
  t.is(created?.headers['stripe-account'], account, 'on the school’s connected account');
  const [sessionId, session] = [...stand.state.checkoutSessions.entries()].filter(([, s]) => s.metadata?.class_id === klass.id).at(-1) ?? [];
  t.truthy(sessionId);
  t.is(page.url(), String(session?.url));

  // Back from Checkout before Stripe has told the school: the page says it is waiting.
  const success = new URL(String(session?.success_url));
  t.is(success.pathname, `/catalogue/${klass.id}/paid`);
  const returnPath = `${success.pathname}${success.search}`;
  await page.goto(schoolUrl(app.port, school.slug, returnPath));
  t.regex(await page.getByRole('status').innerText(), /waiting for the payment to be confirmed/);
  t.deepEqual(await roster(school, klass.id), []);
  await checkPage(t, page, 'catalogue-paid-waiting');

  // The payer pays; Stripe's signed Connect webhook arrives; the same page now says enrolled.
  const paid = stand.completeCheckout(sessionId as string);
  const event = stripeEvent('checkout.session.completed', { ...paid.session } as Record<string, unknown>, { account });
  const signed = signedWebhook(event, CONNECT_SECRET);
  const delivered = await app.request(null, 'POST', '/webhooks/stripe/connect', {
    raw: signed.body,
    headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature },
  });
  t.is(delivered.status, 200, JSON.stringify(delivered.body));
  await page.getByRole('link', { name: 'Check again' }).click();
  t.regex(await page.getByRole('status').innerText(), /Payment received: you are enrolled/);
  t.deepEqual(await roster(school, klass.id), [student.id]);
  await checkPage(t, page, 'catalogue-paid');
  await page.getByRole('link', { name: 'Go to the class' }).click();
  await page.waitForURL(new RegExp(`/classes/${klass.id}$`));
  await context.close();
});

test('a teacher sets an offering through the form; mistakes come back beside their fields', async (t) => {
  const { app } = await stripeAndApp();
  const w = await scene({
    app,
    people: { teacher: 'teacher', student: 'student', otherTeacher: 'teacher' },
    classes: { klass: { name: 'Staff first aid', teachers: ['teacher'] }, elsewhere: { name: 'Not mine', teachers: ['otherTeacher'] } },
  });
  const { school, teacher, student, klass, elsewhere } = w;

  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), teacher);
  await page.goto(schoolUrl(app.port, school.slug, `/classes/${klass.id}`));
  await page.getByRole('link', { name: 'Catalogue entry' }).click();
  await page.waitForURL(new RegExp(`/classes/${klass.id}/offering$`));
  await checkPage(t, page, 'offering-form');

  await page.getByLabel('Listed: students may enrol themselves').check();
  await page.getByLabel(/^Enrolment opens/).fill('2027-09-01T09:00');
  await page.getByLabel(/^Enrolment closes/).fill('2027-08-01T09:00');
  await page.getByLabel(/^Most students/).fill('0');
  await page.getByLabel(/^Price/).fill('25.00');
  await page.getByRole('button', { name: 'Save' }).click();
  t.true(await page.getByRole('alert').first().isVisible());
  t.regex(await page.locator('#closes_at-error').innerText(), /after opens_at/);
  t.truthy(await page.locator('#cap-error').innerText());
  t.is(await page.getByLabel(/^Price/).inputValue(), '25.00', 'the input is kept');
  t.true(await page.getByLabel('Listed: students may enrol themselves').isChecked());
  await checkPage(t, page, 'offering-form-errors');

  // No Stripe account is connected: a price is refused beside the price field.
  await page.getByLabel(/^Enrolment closes/).fill('2027-10-01T09:00');
  await page.getByLabel(/^Most students/).fill('12');
  await page.getByRole('button', { name: 'Save' }).click();
  t.regex(await page.locator('#price-error').innerText(), /no Stripe account connected/);

  await page.getByLabel(/^Price/).fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\?saved=1$/);
  const saved = await api(w, teacher, 'GET', `/api/v1/classes/${klass.id}/offering`);
  t.like(saved, { self_enrol: true, cap: 12, price: null, opens_at: '2027-09-01T09:00:00.000Z', closes_at: '2027-10-01T09:00:00.000Z' });
  t.is(await page.getByLabel(/^Enrolment opens/).inputValue(), '2027-09-01T09:00', 'shown again in school time');

  // Another teacher's class: the form is refused.
  const refused = await page.goto(schoolUrl(app.port, school.slug, `/classes/${elsewhere.id}/offering`));
  t.true([403, 404].includes(refused?.status() ?? 0));
  await context.close();

  // The student sees the entry, not open yet.
  const studentContext = await openContext();
  const studentPage = await studentContext.newPage();
  await signIn(studentPage, schoolUrl(app.port, school.slug), student);
  await studentPage.goto(schoolUrl(app.port, school.slug, `/catalogue/${klass.id}`));
  t.true(await studentPage.getByRole('heading', { name: 'Staff first aid' }).isVisible());
  t.regex(await studentPage.locator('#enrol-h + p').innerText(), /^Enrolment opens .*1 Sept/);
  await studentContext.close();
});
