// Notices, search and "my devices" in the browser, and the friendly pages for a suspended school.
import test from 'ava';
import { withPlatform } from '../../tenants/session.ts';
import { openContext, schoolUrl, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { scene } from '../helpers/factories.ts';

/** A class whose teacher has posted a notice; `home` is the school's front page. */
async function noticeWorld() {
  const w = await scene({
    people: { teacher: 'teacher', sam: { role: 'student', first_name: 'Sam' } },
    classes: { klass: { name: 'Year 5 Science', teachers: ['teacher'], students: ['sam'] } },
    school: { name: 'Lincoln Elementary' },
  });
  const notice = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/notices`, {
    title: 'Trip to the aquarium',
    body: 'Bring a **packed lunch**.',
    publish_at: 'now',
  });
  if (notice.status !== 201) throw new Error(`notice: ${notice.status} ${notice.text}`);
  return { ...w, noticeId: notice.body.id as string, home: schoolUrl(w.app.port, w.school.slug) };
}

test('a student opens a new notice from the dashboard; it is then read, for them and in the teacher’s receipts', async (t) => {
  const { get, teacher, sam, noticeId, home } = await noticeWorld();
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, sam);
  const notices = page.getByRole('region', { name: 'Notices' });
  t.regex(await notices.innerText(), /Trip to the aquarium\s+New/);
  await notices.getByRole('link', { name: 'Trip to the aquarium' }).click();
  t.is(await page.locator('.prose strong').innerText(), 'packed lunch');
  t.deepEqual(await seriousViolations(page), []);
  await page.goto(home);
  t.notRegex(await page.getByRole('region', { name: 'Notices' }).innerText(), /New/);
  const receipts = await get(teacher, `/api/v1/notices/${noticeId}/receipts`);
  t.true(JSON.stringify(receipts.body).includes(sam.id));
  await context.close();
});

test('search finds what the person may open; my devices signs another device out', async (t) => {
  const { sam, home } = await noticeWorld();
  const laptop = await openContext();
  const phone = await openContext();
  const page = await laptop.newPage();
  const other = await phone.newPage();
  await signIn(other, home, sam);
  await signIn(page, home, sam);

  await page.getByRole('searchbox', { name: 'Search this school' }).fill('aquarium');
  await page.getByRole('button', { name: 'Search' }).first().click();
  await page.waitForURL(/\/search\?q=aquarium/);
  const results = page.getByRole('region', { name: /found/ });
  t.true(await results.getByRole('link', { name: 'Trip to the aquarium' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);

  await page.getByRole('link', { name: 'My devices' }).click();
  // The phone and the factory's API token are the other devices; this one cannot sign itself out here.
  t.is(await page.getByRole('button', { name: 'Sign this device out' }).count(), 2);
  t.true(await page.getByText('This device', { exact: true }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  for (const left of [1, 0]) {
    await page.getByRole('button', { name: 'Sign this device out' }).first().click();
    await page.waitForURL(/\/me\/devices$/);
    t.is(await page.getByRole('button', { name: 'Sign this device out' }).count(), left);
  }
  // The other browser is signed out at once.
  await other.goto(home);
  t.true(await other.getByRole('button', { name: 'Sign in' }).isVisible());
  await Promise.all([laptop.close(), phone.close()]);
});

test('a suspended school shows a friendly page, not a problem document', async (t) => {
  const { school, home } = await noticeWorld();
  await withPlatform(testEnv().dbs.owner, (db) =>
    db('tenants').where({ id: school.tenant.id }).update({ status: 'suspended', suspended_reason: 'Contract ended' }),
  );
  const context = await openContext();
  const page = await context.newPage();
  const response = await page.goto(home);
  t.is(response?.status(), 403);
  t.true(await page.getByRole('heading', { name: 'This school is paused' }).isVisible());
  t.regex(await page.locator('main').innerText(), /Contract ended/);
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test('a teacher posts a notice from the class page and sees who has read it', async (t) => {
  const { teacher, sam, klass, home } = await noticeWorld();
  const teacherContext = await openContext();
  const tp = await teacherContext.newPage();
  await signIn(tp, home, teacher);
  await tp.goto(`${home}classes/${klass.id}`);
  await tp.getByText('Post a notice').click();
  await tp.getByRole('button', { name: 'Post' }).click();
  t.true(await tp.locator('#title-error').isVisible(), 'a notice needs a title');
  await tp.getByLabel('Title').fill('Sports day moved');
  await tp.getByLabel('Message').fill('Now on **Friday**.');
  await tp.getByRole('button', { name: 'Post' }).click();
  await tp.waitForURL(/\/notices\//);
  t.regex(await tp.getByRole('region', { name: /Read by/ }).innerText(), /Read by 0 of 1/);
  t.deepEqual(await seriousViolations(tp), []);

  const studentContext = await openContext();
  const sp = await studentContext.newPage();
  await signIn(sp, home, sam);
  await sp.getByRole('region', { name: 'Notices' }).getByRole('link', { name: 'Sports day moved' }).click();
  t.is(await sp.locator('.prose strong').innerText(), 'Friday');
  t.is(await sp.getByRole('region', { name: /Read by/ }).count(), 0, 'students see no receipts');

  await tp.reload();
  t.regex(await tp.getByRole('region', { name: /Read by/ }).innerText(), /Read by 1 of 1/);
  await Promise.all([teacherContext.close(), studentContext.close()]);
});

test('a read-only school (trial over) shows the banner to everyone and explains a refused change', async (t) => {
  const { teacher, klass, home, school } = await noticeWorld();
  await withPlatform(testEnv().dbs.owner, (db) =>
    db('tenants')
      .where({ id: school.tenant.id })
      .update({ billing_status: 'trialing', trial_ends_at: new Date(Date.now() - 86_400_000) }),
  );
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, teacher);
  t.regex(await page.locator('#billing-banner').innerText(), /free trial has ended/i);
  await page.goto(`${home}classes/${klass.id}`);
  await page.getByText('Post a notice').click();
  await page.getByLabel('Title').fill('Will not post');
  await page.getByRole('button', { name: 'Post' }).click();
  t.true(await page.getByRole('heading', { name: 'This school is read-only for now' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});
