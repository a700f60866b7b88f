// Taking a timed quiz in a real browser: start from the dashboard, answers autosave and survive a
// reload and a network blip, hand in with a confirmation and see the score as released; and the
// countdown (driven by Playwright's clock, from the server's seconds left) hands the attempt in.
import test from 'ava';
import type { Page } from 'playwright-core';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { makeQuiz, quizWorld } from '../helpers/quizzes.ts';

/** Does `change` and waits until autosave has stored it (the API answered) and says so. */
async function savedAfter(page: Page, change: () => Promise<void>) {
  const stored = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/answers/') && r.status() === 200);
  await change();
  await stored;
  await page.locator('#save-state', { hasText: /^Saved$/ }).waitFor();
}

test('a student takes a quiz: autosave survives a reload and a network blip; hand in and see the score', async (t) => {
  const w = await quizWorld();
  await makeQuiz(w, { title: 'Planets', time_limit_minutes: 20, score_release: 'after_attempt' }, ['single', 'trueFalse', 'short']);
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext(PHONE);
  const page = await context.newPage();
  await signIn(page, home, w.ann);
  await page.getByRole('region', { name: 'Quizzes open now' }).getByRole('link', { name: 'Planets' }).click();
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Start the quiz' }).click();
  await page.waitForURL(/\/quiz-attempts\//);
  t.regex(await page.locator('#countdown').innerText(), /^(20:00|19:5\d)$/, 'the countdown starts from the server’s time left');
  t.deepEqual(await seriousViolations(page), []);
  t.false(await scrollsSideways(page));

  await savedAfter(page, () => page.getByLabel('Jupiter').check());
  await page.reload();
  t.true(await page.getByLabel('Jupiter').isChecked(), 'the answer survived a reload');

  // A network blip: the save waits, tells the student, and goes through when the network is back.
  await context.setOffline(true);
  await page.getByLabel('True', { exact: true }).check();
  await page.locator('#save-state', { hasText: /Not saved yet/ }).waitFor();
  await savedAfter(page, () => context.setOffline(false));
  await savedAfter(page, async () => {
    await page.getByLabel('Your answer').fill('Au');
    await page.getByLabel('Your answer').press('Tab');
  });
  await screenshot(page, 'student-quiz-phone');
  await page.reload();
  t.true(await page.getByLabel('True', { exact: true }).isChecked());
  t.is(await page.getByLabel('Your answer').inputValue(), 'Au');

  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Hand in answers' }).click();
  await page.getByRole('heading', { name: 'Handed in' }).waitFor();
  // Jupiter (2) + wrong true/false (0) + Au (1), released after the attempt.
  t.regex(await page.locator('main').innerText(), /Score:\s*3 \/ 4/);
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test('when the countdown reaches zero the attempt is handed in with the saved answers', async (t) => {
  const w = await quizWorld();
  await makeQuiz(w, { title: 'Speed round', time_limit_minutes: 1 }, ['single', 'trueFalse']);
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await page.clock.install();
  await signIn(page, home, w.ben);
  await page.getByRole('link', { name: 'Speed round' }).click();
  await page.getByRole('button', { name: 'Start the quiz' }).click();
  await page.waitForURL(/\/quiz-attempts\//);
  await savedAfter(page, () => page.getByLabel('Jupiter').check());
  await page.clock.fastForward(61_000);
  await page.getByRole('heading', { name: 'Handed in' }).waitFor();
  t.regex(await page.locator('main').innerText(), /Your choice:\s*Jupiter/);
  await context.close();
});
