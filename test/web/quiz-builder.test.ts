// A teacher builds a quiz in the browser: settings, one question of each of the six types (a
// mistake explained beside its field), publishing; the questions stored are exactly those typed,
// and the class's students then find it open.
import test from 'ava';
import type { Page } from 'playwright-core';
import { openContext, schoolUrl, screenshot, seriousViolations, signIn } from '../helpers/browser.ts';
import { quizWorld } from '../helpers/quizzes.ts';

async function addQuestion(
  page: Page,
  fields: { type: string; prompt: string; points?: string; options?: string; correct?: string; accepted?: string; answer?: string; tolerance?: string },
) {
  await page.getByLabel('Type').selectOption({ label: fields.type });
  await page.getByLabel('Question (Markdown)').fill(fields.prompt);
  await page.getByLabel('Points').fill(fields.points ?? '1');
  await page.getByLabel('Options (one answer choice per line)').fill(fields.options ?? '');
  if (fields.correct) await page.getByLabel('True or false: the right answer').selectOption({ label: fields.correct });
  await page.getByLabel('Short answer: accepted answers').fill(fields.accepted ?? '');
  await page.getByLabel('Number: the right answer').fill(fields.answer ?? '');
  await page.getByLabel('Number: allowed difference').fill(fields.tolerance ?? '');
  await page.getByRole('button', { name: 'Add question' }).click();
}

test('a teacher builds a quiz with all six question types and publishes it; students find it open', async (t) => {
  const w = await quizWorld();
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}classes/${w.klass.id}`);
  await page.getByRole('link', { name: 'New quiz' }).click();
  await page.getByLabel('Title').fill('Mixed review');
  await page.getByLabel(/^Time limit/).fill('15');
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Create quiz and add questions' }).click();
  await page.waitForURL(/\/quizzes\/[0-9a-f-]{36}\/edit$/);
  const quizId = /quizzes\/([0-9a-f-]{36})/.exec(page.url())?.[1] as string;

  await addQuestion(page, { type: 'One answer', prompt: 'Largest planet?', points: '2', options: 'Mars\nJupiter\nVenus' });
  t.regex(await page.locator('#options-error').innerText(), /exactly one option correct/, 'no right option is explained');
  t.deepEqual(await seriousViolations(page), []);
  await addQuestion(page, { type: 'One answer', prompt: 'Largest planet?', points: '2', options: 'Mars\n* Jupiter\nVenus' });
  await addQuestion(page, { type: 'Several answers', prompt: 'Noble gases?', points: '3', options: '* Helium\n*Neon\nOxygen' });
  await addQuestion(page, { type: 'True or false', prompt: 'Sound travels in a vacuum.', correct: 'False' });
  await addQuestion(page, { type: 'Short answer', prompt: 'Symbol of gold?', accepted: 'Au\nau' });
  await addQuestion(page, { type: 'Number', prompt: 'g in m/s²?', points: '2', answer: '9.81', tolerance: '0.05' });
  await addQuestion(page, { type: 'Long answer', prompt: 'Explain inertia.', points: '5' });
  t.true(await page.getByRole('heading', { name: 'Questions (6)' }).isVisible());
  await screenshot(page, 'teacher-quiz-builder');
  await page.getByRole('button', { name: 'Publish to the class' }).click();
  await page.waitForURL(`${home}quizzes/${quizId}`);

  const stored = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quizId}/questions`);
  const shape = stored.body.data.map((q: Record<string, unknown>) => ({
    type: q.type,
    points: q.points,
    options: (q.options as { text: string; correct: boolean }[] | undefined)?.map((o) => `${o.correct ? '*' : ''}${o.text}`),
    correct: q.correct,
    accepted: q.accepted_answers,
    answer: q.answer,
    tolerance: q.tolerance,
  }));
  t.like(shape, [
    { type: 'single_choice', points: 2, options: ['Mars', '*Jupiter', 'Venus'] },
    { type: 'multiple_choice', points: 3, options: ['*Helium', '*Neon', 'Oxygen'] },
    { type: 'true_false', correct: false },
    { type: 'short_answer', accepted: ['Au', 'au'] },
    { type: 'numeric', points: 2, answer: 9.81, tolerance: 0.05 },
    { type: 'long_answer', points: 5 },
  ]);
  const quiz = await w.request(w.ann, 'GET', `/api/v1/quizzes/${quizId}`);
  t.is(quiz.status, 200, 'published: the class’s students see it');
  t.is(quiz.body.time_limit_minutes, 15);
  await context.close();
});
