// Setting homework in the browser beyond the basics: a late window, only some students, and
// publishing at a set time; what the API then shows each student is what the teacher chose.
import test from 'ava';
import { openContext, schoolUrl, seriousViolations, signIn } from '../helpers/browser.ts';
import { homeworkWorld } from '../helpers/homework.ts';

const local = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().slice(0, 16);

test('homework for chosen students with a late window, and homework scheduled for later', async (t) => {
  const w = await homeworkWorld();
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}classes/${w.maths.id}/homework/new`);
  await page.getByLabel('Title').fill('Extra practice');
  await page.getByLabel(/^Due/).fill(local(2 * 86_400_000));
  await page.getByLabel(/^Accept late work until/).fill(local(3 * 86_400_000));
  await page.getByLabel('Only the students ticked below').check();
  await page.getByLabel('Sam Able').check();
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Save homework' }).click();
  await page.waitForURL(/\/homework\/[0-9a-f-]{36}$/);
  const chosenId = /homework\/([0-9a-f-]{36})/.exec(page.url())?.[1] as string;
  t.regex(await page.locator('main').innerText(), /late work until/);

  await page.goto(`${home}classes/${w.maths.id}/homework/new`);
  await page.getByLabel('Title').fill('Next week');
  await page.getByLabel(/^Due/).fill(local(9 * 86_400_000));
  await page.getByRole('radio', { name: 'At a set time' }).check();
  await page.getByLabel(/^Show it to students at/).fill(local(7 * 86_400_000));
  await page.getByRole('button', { name: 'Save homework' }).click();
  await page.waitForURL(/\/homework\/[0-9a-f-]{36}$/);
  const scheduledId = /homework\/([0-9a-f-]{36})/.exec(page.url())?.[1] as string;
  t.regex(await page.locator('main').innerText(), /scheduled/);
  await context.close();

  t.is((await w.get(w.sam, `/api/v1/homework/${chosenId}`)).status, 200, 'the chosen student sees it');
  t.is((await w.get(w.ada, `/api/v1/homework/${chosenId}`)).status, 404, 'the other student does not');
  t.is((await w.get(w.sam, `/api/v1/homework/${scheduledId}`)).status, 404, 'not before its time');
  t.like((await w.get(w.teacher, `/api/v1/homework/${scheduledId}`)).body, { status: 'scheduled' });
});

test('a teacher returns every graded hand-in at once, sees a student’s guardians, and archives the class', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ due_at: new Date(Date.now() + 86_400_000).toISOString() });
  for (const student of [w.sam, w.ada]) {
    t.is((await w.request(student, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Done' })).status, 200);
    t.is((await w.request(w.teacher, 'PUT', `/api/v1/homework/${hw.id}/submissions/${student.id}/grade`, { score: 7 })).status, 200);
  }
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}homework/${hw.id}`);
  await page.getByRole('button', { name: 'Return all 2 graded' }).click();
  await page.waitForURL(/returned=2/);
  const mine = await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`);
  t.like(mine.body, { status: 'returned', score: 7 });

  await page.goto(`${home}homework/${hw.id}/submissions/${w.sam.id}`);
  t.regex(await page.getByRole('region', { name: 'Work' }).innerText(), /Guardians[\s\S]*Parent/);
  t.deepEqual(await seriousViolations(page), []);

  await page.goto(`${home}classes/${w.maths.id}`);
  await page.getByRole('button', { name: 'Archive class' }).click();
  await page.getByRole('button', { name: 'Bring class back' }).waitFor();
  t.true((await w.get(w.teacher, `/api/v1/classes/${w.maths.id}`)).body.archived);
  await context.close();
});
