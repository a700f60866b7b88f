// A form that hits a rate limit answers with the friendly 429 page: what happened, when to try
// again (the same seconds as Retry-After), and the reference for the school office.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations } from '../helpers/browser.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('too many wrong passwords on the sign-in form: a friendly 429 page says when to try again', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const home = schoolUrl(app.port, school.slug);
  const context = await openContext(PHONE);
  const page = await context.newPage();
  await page.goto(`${home}sign-in`);
  const attempt = async () => {
    const answered = page.waitForResponse((r) => r.url().endsWith('/sign-in') && r.request().method() === 'POST');
    await page.getByLabel('Email address').fill(teacher.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const res = await answered;
    await page.waitForLoadState();
    return res;
  };
  // The sign-in limit: 10 tries per address in 15 minutes (api/http/rate-limit.ts LIMITS.login).
  for (let i = 0; i < 10; i++) t.is((await attempt()).status(), 401);
  const limited = await attempt();
  t.is(limited.status(), 429);
  const retryAfter = Number(await limited.headerValue('retry-after'));
  t.true(retryAfter > 0 && retryAfter <= 15 * 60);
  t.is(await page.getByRole('heading', { level: 1 }).innerText(), 'Please wait a moment');
  t.regex(await page.locator('main').innerText(), new RegExp(`Try again in ${retryAfter} seconds\\.`));
  t.regex(await page.locator('main').innerText(), /Reference: \S+/);
  t.true(await page.getByRole('link', { name: 'Back to the start page' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  t.false(await scrollsSideways(page));
  await context.close();
});
