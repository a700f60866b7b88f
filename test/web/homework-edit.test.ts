// Editing homework in the browser: the set-homework form comes back filled in, a change goes
// through the same service as PATCH /api/v1/homework/:id (links added through the API are kept),
// and only those who may change it get the page; an archived class answers 409.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { homeworkWorld } from '../helpers/homework.ts';

const local = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().slice(0, 16);

test('a teacher edits homework: filled-in form, preview, new due date, only some students, back to a draft', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({
    due_at: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    attachments: [{ name: 'Syllabus', url: 'https://example.org/syllabus.pdf' }],
  });
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}homework/${hw.id}`);
  await page.getByRole('link', { name: 'Edit homework' }).click();
  await page.waitForURL(/\/homework\/[0-9a-f-]{36}\/edit$/);
  t.is(await page.getByLabel('Title').inputValue(), 'Fractions worksheet');
  t.is(await page.getByLabel('Instructions').inputValue(), 'Do **all** the questions.');
  t.is(await page.getByLabel('Points (leave empty for ungraded)').inputValue(), '10');
  t.true(await page.getByRole('radio', { name: 'Now (it stays published)' }).isChecked());
  t.true(await page.getByRole('radio', { name: 'The whole class' }).isChecked());
  t.deepEqual(await seriousViolations(page), []);

  await page.getByLabel('Title').fill('Fractions, part 2');
  await page.getByLabel('Instructions').fill('Show **your** working.');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('region', { name: 'Preview: what students will see' }).waitFor();
  t.is(await page.getByRole('region', { name: 'Preview: what students will see' }).locator('strong').innerText(), 'your');
  t.is(await page.getByLabel('Title').inputValue(), 'Fractions, part 2', 'the preview keeps what was typed');
  const due = local(5 * 86_400_000);
  await page.getByLabel(/^Due/).fill(due);
  await page.getByLabel('Only the students ticked below').check();
  await page.getByLabel('Sam Able').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(new RegExp(`/homework/${hw.id}$`));
  t.regex(await page.locator('h1').innerText(), /Fractions, part 2/);

  const seen = (await w.get(w.teacher, `/api/v1/homework/${hw.id}`)).body;
  t.like(seen, { title: 'Fractions, part 2', instructions: 'Show **your** working.', status: 'published', assign_to_all: false, assignee_ids: [w.sam.id] });
  t.is(new Date(seen.publish_at).getTime(), new Date(hw.publish_at as string).getTime(), 'saving keeps its publishing time');
  t.deepEqual(
    seen.attachments.map((a: { name: string }) => a.name),
    ['Syllabus'],
    'a link added through the API is kept',
  );
  t.is((await w.get(w.ada, `/api/v1/homework/${hw.id}`)).status, 404, 'no longer set for Ada');

  // Back to a draft: students no longer see it.
  await page.getByRole('link', { name: 'Edit homework' }).click();
  t.is(await page.getByLabel(/^Due/).inputValue(), due, 'the due time comes back on the school’s clock');
  t.true(await page.getByLabel('Sam Able').isChecked());
  await page.getByRole('radio', { name: 'Keep as a draft' }).check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(new RegExp(`/homework/${hw.id}$`));
  t.like((await w.get(w.teacher, `/api/v1/homework/${hw.id}`)).body, { status: 'draft', publish_at: null });
  t.is((await w.get(w.sam, `/api/v1/homework/${hw.id}`)).status, 404);

  // A mistake comes back beside its field with the input kept.
  await page.goto(`${home}homework/${hw.id}/edit`);
  await page.getByLabel('Title').fill('   ');
  await page.getByRole('button', { name: 'Save changes' }).click();
  t.regex(await page.locator('#title-error').innerText(), /required/);
  await context.close();

  const phone = await openContext(PHONE);
  const small = await phone.newPage();
  await signIn(small, home, w.teacher);
  await small.goto(`${home}homework/${hw.id}/edit`);
  t.false(await scrollsSideways(small));
  t.deepEqual(await seriousViolations(small), []);
  await phone.close();
});

test('only those who may change the homework get the edit page; an archived class refuses (409)', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ due_at: new Date(Date.now() + 86_400_000).toISOString() });
  const home = schoolUrl(w.app.port, w.school.slug);

  const student = await openContext();
  const sp = await student.newPage();
  await signIn(sp, home, w.sam);
  await sp.goto(`${home}homework/${hw.id}`);
  t.is(await sp.getByRole('link', { name: 'Edit homework' }).count(), 0, 'no edit link for a student');
  t.is((await sp.goto(`${home}homework/${hw.id}/edit`))?.status(), 403);
  const posted = await sp.evaluate(async (url) => {
    const csrf = document.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? '';
    const body = new URLSearchParams({ _csrf: csrf, title: 'Hacked', instructions: '', points: '1', due_at: '2030-01-01T09:00', publish: 'now' });
    return (await fetch(url, { method: 'POST', body })).status;
  }, `${home}homework/${hw.id}/edit`);
  t.is(posted, 403);
  await student.close();

  const other = await openContext();
  const op = await other.newPage();
  await signIn(op, home, w.otherTeacher);
  t.is((await op.goto(`${home}homework/${hw.id}/edit`))?.status(), 404, 'a teacher of another class does not even see it');
  await other.close();
  t.is((await w.get(w.teacher, `/api/v1/homework/${hw.id}`)).body.title, 'Fractions worksheet');

  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.maths.id}`, { archived: true })).status, 200);
  const teacher = await openContext();
  const tp = await teacher.newPage();
  await signIn(tp, home, w.teacher);
  await tp.goto(`${home}homework/${hw.id}`);
  t.is(await tp.getByRole('link', { name: 'Edit homework' }).count(), 0, 'no edit link in an archived class');
  const refused = await tp.goto(`${home}homework/${hw.id}/edit`);
  t.is(refused?.status(), 409);
  t.regex(await tp.locator('main').innerText(), /archived/);
  t.deepEqual(await seriousViolations(tp), []);
  await teacher.close();
});
