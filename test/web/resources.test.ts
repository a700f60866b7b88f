// Resources by topic, and lists longer than one page: the class page groups resources under their
// topics and links on when there are more than 100; the resources page pages through them with
// the API's keyset cursor, a topic that spans two pages heading both.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { homeworkWorld } from '../helpers/homework.ts';

test('resources grouped by topic; 103 of them page at 100', async (t) => {
  const w = await homeworkWorld();
  const topic = async (title: string) => {
    const res = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/topics`, { title });
    if (res.status !== 201) throw new Error(`topic: ${res.status} ${res.text}`);
    return res.body.id as string;
  };
  const fractions = await topic('Fractions');
  const decimals = await topic('Decimals');
  const add = async (title: string, topic_id: string | null) => {
    const res = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/resources`, {
      kind: 'link',
      title,
      url: `https://example.org/${encodeURIComponent(title)}`,
      topic_id,
      description: 'Read *carefully*.',
    });
    if (res.status !== 201) throw new Error(`resource: ${res.status} ${res.text}`);
  };
  await add('Class rules', null);
  await add('Timetable', null);
  for (let i = 1; i <= 60; i++) await add(`Fractions ${i}`, fractions);
  for (let i = 1; i <= 41; i++) await add(`Decimals ${i}`, decimals);

  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext(PHONE);
  const page = await context.newPage();
  await signIn(page, home, w.sam);
  await page.goto(`${home}classes/${w.maths.id}`);
  const classwork = page.getByRole('region', { name: 'Classwork' });
  t.deepEqual(await classwork.locator('h4.topic').allInnerTexts(), ['Fractions', 'Decimals']);
  t.is(await classwork.locator('h4.topic + ul > li').first().innerText(), 'Fractions 1');
  await classwork.getByRole('link', { name: 'More resources' }).click();
  await page.waitForURL(/\/resources\?cursor=/);
  t.deepEqual(await page.locator('main h2.topic').allInnerTexts(), ['Decimals'], 'the second page goes on where the first stopped');
  t.deepEqual(await page.locator('main ul.list > li > a').allInnerTexts(), ['Decimals 39', 'Decimals 40', 'Decimals 41']);
  t.true(await page.getByRole('link', { name: 'Back to the first page' }).isVisible());
  t.false(await page.getByRole('link', { name: 'Next page' }).isVisible());

  await page.getByRole('link', { name: 'Back to the first page' }).click();
  const first = page.locator('main ul.list > li > a');
  t.is(await first.count(), 100);
  t.deepEqual((await first.allInnerTexts()).slice(0, 3), ['Class rules', 'Timetable', 'Fractions 1'], 'ungrouped first, then by topic');
  t.deepEqual(await page.locator('main h2.topic').allInnerTexts(), ['Fractions', 'Decimals']);
  t.is(await page.locator('main .prose em').first().innerText(), 'carefully');
  t.true(await page.getByRole('link', { name: 'Next page' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  t.false(await scrollsSideways(page));
  await context.close();
});
