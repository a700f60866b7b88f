// /admin/settings in the browser: an admin changes the school's name and colour, is told which
// origin is wrong (with the input kept), turns on required two-step sign-in, and a teacher is then
// walked through enrolment at their next sign-in. Only admins reach the page.
import test from 'ava';
import type { Page } from 'playwright-core';
import { totpCodeAt } from '../../api/auth/totp.ts';
import { withPlatform } from '../../tenants/session.ts';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

async function storedSchool(id: string) {
  return withPlatform(testEnv().dbs.owner, (db) => db('tenants').where({ id }).first('name', 'timezone', 'settings'));
}

async function enrol(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  const secret = (await page.locator('code.code').innerText()).trim();
  await page.getByLabel('Code').fill(totpCodeAt(secret, Date.now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
}

test('an admin changes the settings, requires two-step sign-in, and a teacher is walked through enrolment', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Riverside Primary' });
  const teacher = await createPerson(school, 'teacher', { first_name: 'Tess' });
  const home = schoolUrl(app.port, school.slug);
  const settings = schoolUrl(app.port, school.slug, '/admin/settings');

  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, school.admin);
  await page.goto(settings);
  t.true(await page.getByRole('heading', { name: 'School settings' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'admin-settings');

  await page.getByLabel('School name').fill('Riverside Academy');
  await page.getByLabel('School colour').fill('#7a1f5c');
  await page.getByLabel('Websites allowed to use the school’s API').fill('https://app.riverside.org\nhttp://evil.example');
  await page.getByRole('button', { name: 'Save settings' }).click();
  // The wrong line is named; what the admin typed stays in the form.
  t.regex(await page.locator('#cors-error').innerText(), /http:\/\/evil\.example/);
  t.is(await page.getByLabel('School name').inputValue(), 'Riverside Academy');
  t.deepEqual(await seriousViolations(page), []);
  t.is((await storedSchool(school.tenant.id)).name, 'Riverside Primary', 'nothing saved while a field is wrong');

  await page.getByLabel('Websites allowed to use the school’s API').fill('https://app.riverside.org');
  await page.getByLabel('Admins and teachers must use two-step sign-in').check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForURL(/\/admin\/settings\?saved=1$/);
  t.true(await page.getByRole('status').filter({ hasText: 'Saved' }).isVisible());
  t.is(await page.getByRole('link', { name: 'Riverside Academy' }).count(), 1, 'the top bar shows the new name');
  const stored = await storedSchool(school.tenant.id);
  t.is(stored.name, 'Riverside Academy');
  t.like(stored.settings, { color: '#7a1f5c', require_two_factor: true, cors_origins: ['https://app.riverside.org'] });

  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page));
  await context.close();

  // The teacher's next sign-in goes to enrolment first.
  const teacherContext = await openContext();
  const teacherPage = await teacherContext.newPage();
  await teacherPage.goto(home);
  await teacherPage.getByLabel('Email address').fill(teacher.email);
  await teacherPage.getByLabel('Password').fill(PASSWORD);
  await teacherPage.getByRole('button', { name: 'Sign in' }).click();
  await teacherPage.waitForURL(/\/me\/two-factor$/);
  t.regex(await teacherPage.locator('main').innerText(), /Your school asks everyone in your role/);
  await enrol(teacherPage);
  await teacherPage.getByRole('link', { name: 'Continue' }).click();
  await teacherPage.waitForURL(home);
  t.true(await teacherPage.getByRole('heading', { name: 'Hello, Tess' }).isVisible());

  // A teacher cannot open the settings.
  const response = await teacherPage.goto(settings);
  t.is(response?.status(), 403);
  await teacherContext.close();
});
