// Every emailed link lands on a working page, in a real browser: an invited teacher chooses a
// password and is signed in; a forgotten password is reset from the emailed link; a used or
// expired link explains what to do next.
import test from 'ava';
import { openContext, schoolUrl, screenshot, seriousViolations } from '../helpers/browser.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { tokenFromMail, waitForMail } from '../helpers/mail.ts';

test('an invited teacher opens the emailed link, chooses a password and lands on their dashboard', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Lincoln Elementary' });
  const email = `nia@${school.slug}.test`;
  const invited = await app.request(school.slug, 'POST', '/api/v1/users/invitations', {
    token: school.admin.token,
    body: { email, first_name: 'Nia', last_name: 'New', role: 'teacher' },
  });
  t.is(invited.status, 201);
  const [mail] = await waitForMail(MAIL_DIR, email);
  const link = schoolUrl(app.port, school.slug, `/accept-invite?token=${tokenFromMail(mail)}`);

  const context = await openContext();
  const page = await context.newPage();
  await page.goto(link);
  t.true(await page.getByRole('heading', { name: 'Welcome to Lincoln Elementary' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'accept-invitation');

  // A weak or mistyped password re-renders the form with the message beside the field.
  await page.getByLabel('New password').fill('password');
  await page.getByLabel('Type it again').fill('password');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  t.regex(await page.locator('#password-error').innerText(), /at least|common/);
  await page.getByLabel('New password').fill('a long and unusual pass');
  await page.getByLabel('Type it again').fill('a long and unusual pas');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  t.is(await page.locator('#confirm-error').innerText(), 'does not match the password');
  t.deepEqual(await seriousViolations(page), []);

  await page.getByLabel('New password').fill('a long and unusual pass');
  await page.getByLabel('Type it again').fill('a long and unusual pass');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.waitForURL(schoolUrl(app.port, school.slug, '/'));
  t.true(await page.getByRole('heading', { name: 'Hello, Nia' }).isVisible());

  // The same link again explains itself.
  await page.goto(link);
  t.true(await page.getByRole('heading', { name: 'This link no longer works' }).isVisible());
  t.regex(await page.locator('main').innerText(), /already been used; sign in instead/);
  await context.close();
});

test('a forgotten password is reset from the emailed link; the used link then explains itself', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const sam = await createPerson(school, 'student', { first_name: 'Sam' });
  const context = await openContext();
  const page = await context.newPage();
  await page.goto(schoolUrl(app.port, school.slug));
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email address').fill(sam.email);
  await page.getByRole('button', { name: 'Email me a reset link' }).click();
  t.true(await page.getByRole('status').isVisible());
  t.deepEqual(await seriousViolations(page), []);

  const [mail] = await waitForMail(MAIL_DIR, sam.email);
  const link = schoolUrl(app.port, school.slug, `/reset-password?token=${tokenFromMail(mail)}`);
  await page.goto(link);
  await page.getByLabel('New password').fill('my brand new secret');
  await page.getByLabel('Type it again').fill('my brand new secret');
  await page.getByRole('button', { name: 'Save new password' }).click();
  await page.waitForURL(/\/sign-in\?reset=1/);
  t.regex(await page.getByRole('status').innerText(), /password is changed/);
  await page.getByLabel('Email address').fill(sam.email);
  await page.getByLabel('Password').fill('my brand new secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(schoolUrl(app.port, school.slug, '/'));
  t.true(await page.getByRole('heading', { name: 'Hello, Sam' }).isVisible());

  await page.goto(link);
  await page.getByLabel('New password').fill('yet another secret pass');
  await page.getByLabel('Type it again').fill('yet another secret pass');
  await page.getByRole('button', { name: 'Save new password' }).click();
  t.true(await page.getByRole('heading', { name: 'This link no longer works' }).isVisible());
  t.true(await page.getByRole('link', { name: 'Email me a reset link' }).isVisible());
  await context.close();
});
