// Email settings, where the link at the foot of every notification email leads
// (/settings/notifications): per kind, email at once, in the daily email, or none. Saved through
// the same service and schema as PUT /api/v1/me/notification-preferences.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('the email settings page shows each kind with its choice, saves changes, and works on a phone', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const sam = await createPerson(school, 'student', { first_name: 'Sam' });
  const context = await openContext(PHONE);
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), sam);
  await page.goto(schoolUrl(app.port, school.slug, '/me/notifications'));
  await page.getByRole('link', { name: 'Choose which notifications also come by email' }).click();
  await page.waitForURL(/\/settings\/notifications$/);

  const choice = (kind: string, mode: string) => page.getByRole('group', { name: kind, exact: true }).getByRole('radio', { name: mode, exact: true });
  t.true(await choice('Notices', 'In the daily email').isChecked(), 'ordinary notices wait for the daily email by default');
  t.true(await choice('A quiz opens', 'Email me at once').isChecked());
  t.deepEqual(await seriousViolations(page), []);
  t.false(await scrollsSideways(page), 'fits a 360 px screen');

  // With the keyboard: a radio group takes the arrow keys.
  await choice('Notices', 'In the daily email').focus();
  await page.keyboard.press('ArrowUp');
  t.true(await choice('Notices', 'Email me at once').isChecked());
  await choice('A quiz opens', 'No email').check();
  await page.getByRole('button', { name: 'Save email settings' }).click();
  await page.waitForURL(/\/settings\/notifications\?saved=1$/);
  t.regex(await page.getByRole('status').innerText(), /Saved/);
  t.true(await choice('Notices', 'Email me at once').isChecked());
  t.true(await choice('A quiz opens', 'No email').isChecked());

  const api = await app.request(school.slug, 'GET', '/api/v1/me/notification-preferences', { token: sam.token });
  t.like(api.body, { notice: 'immediately', quiz_opening: 'off', homework_due: 'immediately' });
  await context.close();
});

test('a choice that is not one of the options is refused beside its kind and changes nothing', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const sam = await createPerson(school, 'student');
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(app.port, school.slug), sam);
  await page.goto(schoolUrl(app.port, school.slug, '/settings/notifications'));
  // A tampered form (or an old page): the value is not a choice the server offers.
  await page.locator('input[name="notice"][value="daily"]').evaluate((input) => {
    (input as HTMLInputElement).value = 'weekly';
  });
  await page.getByRole('button', { name: 'Save email settings' }).click();
  t.regex(await page.locator('#notice-error').innerText(), /.+/);
  const api = await app.request(school.slug, 'GET', '/api/v1/me/notification-preferences', { token: sam.token });
  t.is(api.body.notice, 'daily', 'unchanged');
  await context.close();
});
