// Live updates in the browser: an open page hears about a new important notice over the event
// stream (the navigation's unread count and a polite announcement), and the inbox page lists it.
import test from 'ava';
import { openContext, schoolUrl, seriousViolations, signIn } from '../helpers/browser.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('an open dashboard hears about an important notice at once; the inbox lists it', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const [teacher, sam] = await Promise.all([createPerson(school, 'teacher'), createPerson(school, 'student', { first_name: 'Sam' })]);
  const klass = await createClassIn(school, { teachers: [teacher], students: [sam] });
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  const streaming = page.waitForResponse((r) => r.url().endsWith('/api/v1/me/events'));
  await signIn(page, home, sam);
  await streaming;
  t.true(await page.locator('#inbox-count').isHidden(), 'nothing unread yet');

  const posted = await app.request(school.slug, 'POST', `/api/v1/classes/${klass.id}/notices`, {
    token: teacher.token,
    body: { title: 'School closes at noon', body: 'Snow day.', important: true, publish_at: 'now' },
  });
  t.is(posted.status, 201);
  await page.locator('#live:not([hidden])').waitFor();
  t.is(await page.locator('#inbox-count').innerText(), '1');

  await page.getByRole('link', { name: /Notifications/ }).click();
  t.true(await page.getByText('School closes at noon').isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Mark all 1 read' }).click();
  t.is(await page.getByRole('button', { name: /Mark all/ }).count(), 0);
  await context.close();
});
