// Two-step sign-in in the browser: enrolment with the QR code's secret and a first code, recovery
// codes shown once, then signing in with password and code; a school that requires it sends the
// person to enrolment first.
import test from 'ava';
import type { Page } from 'playwright-core';
import { totpCodeAt } from '../../api/auth/totp.ts';
import { withPlatform } from '../../tenants/session.ts';
import { openContext, schoolUrl, screenshot, seriousViolations } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, PASSWORD, type Person } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

async function passwordStep(page: Page, home: string, person: Person) {
  await page.goto(home);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function enrol(t: { deepEqual: (a: unknown, b: unknown) => void }, page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  t.deepEqual(await seriousViolations(page), []);
  const secret = (await page.locator('code.code').innerText()).trim();
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  // A mistyped code keeps the same secret: no need to scan again.
  if ((await page.locator('code.code').innerText()).trim() !== secret) throw new Error('a new secret after a mistyped code');
  await page.getByLabel('Code').fill(totpCodeAt(secret, Date.now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  return secret;
}

test('a teacher turns on two-step sign-in, keeps the recovery codes, then signs in with a code', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher', { first_name: 'Tess' });
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await passwordStep(page, home, teacher);
  await page.waitForURL(home);
  await page.getByRole('link', { name: 'Two-step sign-in' }).click();
  const secret = await enrol(t, page);
  t.is(await page.locator('ul.codes li').count(), 10, 'ten recovery codes, shown once');
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'two-factor-recovery-codes');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await passwordStep(page, home, teacher);
  t.true(await page.getByRole('heading', { name: 'Two-step sign-in' }).isVisible());
  await page.getByLabel('Code').fill('123456');
  await page.getByRole('button', { name: 'Continue' }).click();
  t.regex(await page.getByRole('alert').innerText(), /did not work/);
  t.deepEqual(await seriousViolations(page), []);
  // The next 30-second step: the enrolment code's step cannot be used twice.
  await page.getByLabel('Code').fill(totpCodeAt(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(home);
  t.true(await page.getByRole('heading', { name: 'Hello, Tess' }).isVisible());
  await context.close();
});

test('when the school requires two-step sign-in, a teacher is walked through enrolment first', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher', { first_name: 'Tess' });
  await withPlatform(testEnv().dbs.owner, (db) =>
    db('tenants')
      .where({ id: school.tenant.id })
      .update({ settings: db.raw(`settings || '{"require_two_factor": true}'::jsonb`) }),
  );
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await passwordStep(page, home, teacher);
  await page.waitForURL(/\/me\/two-factor$/);
  t.regex(await page.locator('main').innerText(), /Your school asks everyone in your role/);
  await enrol(t, page);
  await page.getByRole('link', { name: 'Continue' }).click();
  await page.waitForURL(home);
  t.true(await page.getByRole('heading', { name: 'Hello, Tess' }).isVisible());
  await context.close();
});
