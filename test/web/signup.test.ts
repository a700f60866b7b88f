// The platform site in the browser: a school signs up on the apex (plans from configuration, the
// live subdomain check explaining reserved and look-alike refusals), lands on its own subdomain
// signed in as its admin, and confirms the admin's email; the hand-off works once and only from
// the platform site; "find my school" emails the links and shows nothing about the address.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { openContext, PHONE, screenshot, scrollsSideways, seriousViolations } from '../helpers/browser.ts';
import { createPerson, createSchool, uniqueSlug } from '../helpers/factories.ts';
import { MAIL_DIR, send, startApp } from '../helpers/http.ts';
import { waitForMail } from '../helpers/mail.ts';

test('a school signs up on the apex and lands on its own subdomain as its admin', async (t) => {
  const app = await startApp();
  const existing = await createSchool({ slug: `oak-${randomBytes(4).toString('hex')}` });
  const apex = `http://localhost:${app.port}`;
  const slug = uniqueSlug('elm');
  const email = `head-${randomBytes(4).toString('hex')}@elm.test`;

  const context = await openContext();
  const page = await context.newPage();
  await page.goto(`${apex}/`);
  t.is(await page.locator('ul.plans > li').count(), 3, 'the configured plans');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'platform-home');
  await page.getByRole('link', { name: 'Start with School' }).click();
  await page.waitForURL(`${apex}/signup?plan=school`);
  t.true(await page.getByRole('radio', { name: 'School' }).isChecked());

  // The live check says why an address cannot be used.
  const address = page.getByLabel('Your school’s address');
  const status = page.locator('#subdomain-status');
  await address.fill('admin');
  await t.notThrowsAsync(status.filter({ hasText: 'is reserved' }).waitFor());
  await address.fill('adm1n');
  await t.notThrowsAsync(status.filter({ hasText: 'looks too much like the reserved name “admin”' }).waitFor());
  await address.fill(existing.slug.replace('o', '0'));
  await t.notThrowsAsync(status.filter({ hasText: 'looks too much like the address of a school already on Edify' }).waitFor());
  await address.fill(slug);
  await t.notThrowsAsync(status.filter({ hasText: `“${slug}” is free.` }).waitFor());

  await page.getByLabel('School name').fill('Elm Street School');
  await page.getByLabel('Your first name').fill('Hana');
  await page.getByLabel('Your last name').fill('Head');
  await page.getByLabel('Your email address').fill(email);
  await page.getByLabel('Choose a password').fill('short');
  await page.getByRole('button', { name: 'Create the school' }).click();
  // A mistake comes back with the input kept (never the password) and the field's message.
  t.true(await page.locator('#password-error').isVisible());
  t.is(await page.getByLabel('School name').inputValue(), 'Elm Street School');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'platform-signup');
  await page.getByLabel('Choose a password').fill('a long school password 42');
  await page.getByRole('button', { name: 'Create the school' }).click();

  await page.getByRole('heading', { name: 'Elm Street School is ready' }).waitFor();
  t.regex(await page.locator('main').innerText(), new RegExp(`We sent an email to ${email.replace('.', '\\.')}`));
  t.deepEqual(await seriousViolations(page), []);
  const token = await page.locator('input[name="token"]').inputValue();
  await page.getByRole('button', { name: 'Go to your school' }).click();
  const home = `http://${slug}.localhost:${app.port}/`;
  await page.waitForURL(home);
  t.true(await page.getByRole('heading', { name: 'Hello, Hana' }).isVisible());
  t.true(await page.getByRole('link', { name: 'Elm Street School' }).isVisible());
  await page.goto(`http://${slug}.localhost:${app.port}/admin/settings`);
  t.true(await page.getByRole('heading', { name: 'School settings' }).isVisible(), 'signed in as the admin');

  // The admin confirms the address from the email (sent to the school's configured address).
  const [mail] = await waitForMail(MAIL_DIR, email);
  const link = new URL(/https?:\/\/\S+\/verify-email\?token=[\w-]+/.exec(mail?.text ?? '')?.[0] ?? 'http://missing/');
  await page.goto(`http://${slug}.localhost:${app.port}${link.pathname}${link.search}`);
  await page.getByRole('button', { name: /Confirm/ }).click();
  t.regex(await page.getByRole('status').innerText(), /confirmed/i);

  // The hand-off works once, and only from the platform site.
  const form = `token=${encodeURIComponent(token)}`;
  const post = (origin: string) =>
    send(app.port, 'localhost', slug, 'POST', '/welcome', {
      raw: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, accept: 'text/html' },
    });
  t.is((await post('http://evil.localhost:1')).status, 403);
  t.is((await post(`http://${existing.slug}.localhost:${app.port}`)).status, 403, 'not even from another school');
  const again = await post(`http://localhost:${app.port}`);
  t.is(again.status, 303);
  t.is(again.headers.location, '/sign-in?welcome=used');
  t.falsy(again.headers['set-cookie']);
  await context.close();
});

test('"find my school" emails sign-in links and says the same whatever the address', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Birch Primary' });
  const other = await createSchool({ name: 'Cedar High' });
  const email = `parent-${randomBytes(4).toString('hex')}@family.test`;
  await createPerson(school, 'guardian', { email });
  await createPerson(other, 'guardian', { email: email.toUpperCase() });
  const apex = `http://localhost:${app.port}`;

  const context = await openContext(PHONE);
  const page = await context.newPage();
  await page.goto(`${apex}/`);
  t.false(await scrollsSideways(page));
  await page.getByRole('link', { name: 'Find my school' }).click();
  t.deepEqual(await seriousViolations(page), []);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me my schools' }).click();
  const said = await page.getByRole('status').innerText();
  t.regex(said, /If .* belongs to any school/);
  t.notRegex(await page.locator('main').innerText(), /Birch|Cedar/);
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'platform-find-school');

  const [mail] = await waitForMail(MAIL_DIR, email);
  t.is(mail?.template, 'find-school');
  t.regex(mail?.text ?? '', new RegExp(`Birch Primary: http://${school.slug}\\.localhost:\\d+/sign-in`));
  t.regex(mail?.text ?? '', new RegExp(`Cedar High: http://${other.slug}\\.localhost:\\d+/sign-in`));

  // An address no school knows: the same words on screen.
  await page.goto(`${apex}/find-school`);
  await page.getByLabel('Email address').fill(`nobody-${randomBytes(4).toString('hex')}@nowhere.test`);
  await page.getByRole('button', { name: 'Email me my schools' }).click();
  t.is((await page.getByRole('status').innerText()).replace(/\S+@\S+/, 'X'), said.replace(/\S+@\S+/, 'X'));
  await context.close();
});
