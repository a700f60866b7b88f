// A week of homework in the browser, no API client: a teacher creates a class and sets homework;
// a student joins with the code and hands in; the teacher grades and returns; the student and
// the guardian see the grade. axe-core on every page on the way.
import test from 'ava';
import type { Page } from 'playwright-core';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { createPerson, createSchool, linkGuardian } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('teacher sets homework, student joins and hands in, teacher grades and returns, student and guardian see the grade', async (t) => {
  const app = await startApp();
  const school = await createSchool({ name: 'Lincoln Elementary' });
  const [teacher, sam, parent] = await Promise.all([
    createPerson(school, 'teacher', { first_name: 'Tess', last_name: 'Teach' }),
    createPerson(school, 'student', { first_name: 'Sam', last_name: 'Able' }),
    createPerson(school, 'guardian', { first_name: 'Pat', last_name: 'Able' }),
  ]);
  await linkGuardian(school, parent, sam);
  const home = schoolUrl(app.port, school.slug);
  const noViolations = async (page: Page, where: string) => t.deepEqual(await seriousViolations(page), [], where);

  // The teacher creates a class and sets homework.
  const teacherContext = await openContext();
  const tp = await teacherContext.newPage();
  await signIn(tp, home, teacher);
  await tp.getByRole('link', { name: 'Classes' }).click();
  await tp.getByLabel('Class name').fill('Year 5 Art');
  await tp.getByRole('button', { name: 'Create class' }).click();
  await tp.waitForURL(/\/classes\/[0-9a-f-]{36}$/);
  const code = (await tp.locator('strong.code').innerText()).trim();
  t.regex(code, /^\S{4,}$/);
  await noViolations(tp, 'class page');
  await tp.getByRole('link', { name: 'Set homework' }).click();
  await tp.getByRole('button', { name: 'Save homework' }).click();
  t.true(await tp.locator('#title-error').isVisible(), 'a missing title is explained next to the field');
  await noViolations(tp, 'homework form with errors');
  await tp.getByLabel('Title').fill('Paint a sunflower');
  await tp.getByLabel('Instructions').fill('Use **three** colours.');
  await tp.getByLabel('Points (leave empty for ungraded)').fill('10');
  const due = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 16);
  await tp.getByLabel(/^Due/).fill(due);
  await tp.getByRole('button', { name: 'Save homework' }).click();
  await tp.waitForURL(/\/homework\/[0-9a-f-]{36}$/);
  const homeworkUrl = tp.url();
  t.true(await tp.getByRole('heading', { name: 'Paint a sunflower' }).isVisible());
  t.is(await tp.locator('.prose strong').innerText(), 'three', 'Markdown is rendered');
  await screenshot(tp, 'teacher-homework');

  // The student joins with the code and hands in.
  const studentContext = await openContext(PHONE);
  const sp = await studentContext.newPage();
  await signIn(sp, home, sam);
  await sp.getByRole('link', { name: 'Classes' }).click();
  await sp.getByLabel('Class code from your teacher').fill('WRONG-CODE');
  await sp.getByRole('button', { name: 'Join' }).click();
  t.true(await sp.locator('#code-error').isVisible(), 'a wrong code is explained');
  await sp.getByLabel('Class code from your teacher').fill(code);
  await sp.getByRole('button', { name: 'Join' }).click();
  await sp.waitForURL(/\/classes\/[0-9a-f-]{36}$/);
  await noViolations(sp, 'class page (student)');
  t.false(await scrollsSideways(sp), 'class page fits a phone');
  await sp.getByRole('link', { name: 'Paint a sunflower' }).click();
  await sp.getByLabel('Your answer').fill('I used yellow, brown and green.');
  await sp.getByRole('button', { name: 'Hand in' }).click();
  await sp.waitForURL(/handed_in=1/);
  t.regex(await sp.getByRole('region', { name: 'Your work' }).innerText(), /Handed in/);
  await noViolations(sp, 'homework page (student)');
  t.false(await scrollsSideways(sp), 'homework page fits a phone');
  await screenshot(sp, 'student-homework-phone');

  // The teacher grades and returns.
  await tp.goto(homeworkUrl);
  t.regex(await tp.getByRole('region', { name: /Handed in: 1 of 1/ }).innerText(), /Sam Able/);
  await tp.getByRole('link', { name: 'Sam Able' }).click();
  t.regex(await tp.getByRole('region', { name: 'Work' }).innerText(), /yellow, brown and green/);
  await noViolations(tp, 'grading view');
  await tp.getByLabel(/^Score/).fill('11');
  await tp.getByRole('button', { name: 'Return to student' }).click();
  t.true(await tp.locator('#score-error').isVisible(), 'more than the points is refused beside the field');
  await tp.getByLabel(/^Score/).fill('8');
  await tp.getByLabel('Feedback').fill('Lovely colours!');
  await screenshot(tp, 'teacher-grading');
  await tp.getByRole('button', { name: 'Return to student' }).click();
  await tp.waitForURL(homeworkUrl);
  t.regex(await tp.getByRole('region', { name: /Handed in/ }).innerText(), /Returned\s+8 \/ 10/);

  // The student and the guardian see the grade.
  await sp.reload();
  const work = await sp.getByRole('region', { name: 'Your work' }).innerText();
  t.regex(work, /8 \/ 10/);
  t.regex(work, /Lovely colours!/);
  const parentContext = await openContext(PHONE);
  const pp = await parentContext.newPage();
  await signIn(pp, home, parent);
  t.regex(await pp.getByRole('region', { name: 'Sam Able' }).innerText(), /Paint a sunflower\s+8 \/ 10/);
  await noViolations(pp, 'guardian dashboard');

  // The gradebook: the teacher sees every student and can download the CSV; the student sees only
  // their own row, and the table scrolls inside its box on a phone.
  await tp.goto(homeworkUrl);
  await tp.getByRole('link', { name: 'Year 5 Art' }).click();
  await tp.getByRole('link', { name: 'Grades' }).last().click();
  const book = tp.getByRole('table');
  t.regex(await book.innerText(), /Sam Able\s+8\s+80%/);
  t.true(await tp.getByRole('link', { name: 'Download CSV' }).isVisible());
  await noViolations(tp, 'gradebook (teacher)');
  await screenshot(tp, 'teacher-gradebook');
  await sp.goto(tp.url());
  t.is(await sp.getByRole('row').count(), 2, 'the header and the student’s own row');
  t.false(await sp.getByRole('link', { name: 'Download CSV' }).isVisible());
  t.false(await scrollsSideways(sp), 'gradebook fits a phone');
  await noViolations(sp, 'gradebook (student)');
  await Promise.all([teacherContext.close(), studentContext.close(), parentContext.close()]);
});
