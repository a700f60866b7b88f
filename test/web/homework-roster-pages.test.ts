// A homework set for more than 100 students: the list of hand-ins goes on with the API's keyset
// cursor, its counts are the whole class's, the grading view's previous/next walk past the first
// hundred, and "return all" returns every graded hand-in, not only the first page's.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { type Person, scene } from '../helpers/factories.ts';

const SIZE = 101;

test('hand-ins past 100 students: next page, counts, previous/next in grading, return all', async (t) => {
  // Last names sort the roster: Student 000 … Student 100.
  const names = Array.from({ length: SIZE }, (_, i) => `Student ${String(i).padStart(3, '0')}`);
  const people: Record<string, 'teacher' | { role: 'student'; first_name: string; last_name: string }> = {
    teacher: 'teacher',
    ...Object.fromEntries(names.map((name) => [name, { role: 'student', first_name: 'Kid', last_name: name }])),
  };
  const w = await scene({
    people,
    classes: { klass: { name: 'Big class', teachers: ['teacher'], students: names } },
  });
  const { app, school, klass, request } = w;
  const teacher = w.teacher as Person;
  const students = names.map((name) => w[name] as Person);
  const hw = await request(teacher, 'POST', `/api/v1/classes/${klass.id}/homework`, {
    title: 'Essay',
    points: 10,
    due_at: new Date(Date.now() + 86_400_000).toISOString(),
    publish_at: 'now',
  });
  t.is(hw.status, 201);
  const id = hw.body.id as string;
  const last = students[SIZE - 1] as Person;
  const hundredth = students[SIZE - 2] as Person;
  for (const s of [students[0] as Person, last]) t.is((await request(s, 'PUT', `/api/v1/homework/${id}/submission`, { body: 'Done' })).status, 200);

  const home = schoolUrl(app.port, school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, teacher);
  await page.goto(`${home}homework/${id}`);
  const list = page.getByRole('region', { name: /Handed in/ });
  t.regex(await list.getByRole('heading').innerText(), /Handed in: 2 of 101/, 'counts are the whole class’s');
  // Then every student graded (the bulk route takes 100 at a time).
  for (let i = 0; i < SIZE; i += 100) {
    const grades = students.slice(i, i + 100).map((s) => ({ student_id: s.id, score: 5 }));
    t.is((await request(teacher, 'POST', `/api/v1/homework/${id}/grades`, { grades })).status, 200);
  }
  await page.reload();
  t.is(await list.locator('tbody tr').count(), 100);
  t.false(await list.getByRole('link', { name: 'Student 100' }).isVisible());
  await list.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL(/cursor=/);
  t.is(await list.locator('tbody tr').count(), 1);
  t.true(await list.getByRole('link', { name: 'Kid Student 100' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await list.getByRole('link', { name: 'Back to the first page' }).click();
  await page.waitForURL(new RegExp(`/homework/${id}#subs-h$`));
  t.is(await list.locator('tbody tr').count(), 100);

  // Grading: the 100th student's "Next" leads to the 101st, and back.
  await page.goto(`${home}homework/${id}/submissions/${hundredth.id}`);
  t.regex(await page.locator('main').innerText(), /Student 100 of 101/);
  await page.getByRole('link', { name: 'Next →' }).click();
  await page.waitForURL(new RegExp(`/submissions/${last.id}$`));
  t.regex(await page.locator('main').innerText(), /Student 101 of 101/);
  t.is(await page.getByRole('link', { name: 'Next →' }).count(), 0, 'the last student has no next');
  await page.getByRole('link', { name: '← Previous' }).click();
  await page.waitForURL(new RegExp(`/submissions/${hundredth.id}$`));
  // Saving the 100th grade goes on to the 101st.
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForURL(new RegExp(`/submissions/${last.id}$`));

  await page.goto(`${home}homework/${id}`);
  await page.getByRole('button', { name: 'Return all 101 graded' }).click();
  await page.waitForURL(/returned=101/);
  t.like((await request(last, 'GET', `/api/v1/homework/${id}/submission`)).body, { status: 'returned', score: 5 });
  t.like((await request(students[0] as Person, 'GET', `/api/v1/homework/${id}/submission`)).body, { status: 'returned' });
  await context.close();

  const phone = await openContext(PHONE);
  const small = await phone.newPage();
  await signIn(small, home, teacher);
  await small.goto(`${home}homework/${id}`);
  t.false(await scrollsSideways(small));
  await phone.close();
});
