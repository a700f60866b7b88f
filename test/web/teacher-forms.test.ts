// Where teachers write Markdown and attach files: the homework form and the notice form show a
// preview of the text as the server sanitises it (the form keeps everything typed and chosen),
// and files attached through the picker reach students as download links.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { PDF } from '../helpers/files.ts';
import { homeworkWorld } from '../helpers/homework.ts';

const local = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().slice(0, 16);
const UNSAFE = 'Read **chapter 3**.\n\n<script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">';

async function download(page: import('playwright-core').Page, href: string) {
  return page.evaluate(async (url) => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get('content-type'), start: (await res.text()).slice(0, 5) };
  }, href);
}

test('homework: Markdown preview keeps the form, an attached worksheet reaches the student', async (t) => {
  const w = await homeworkWorld();
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}classes/${w.maths.id}/homework/new`);
  await page.getByLabel('Title').fill('Reading');
  await page.getByLabel('Instructions').fill(UNSAFE);
  await page.getByLabel(/^Due/).fill(local(2 * 86_400_000));
  await page.getByLabel('Attach files').setInputFiles({ name: 'worksheet.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByText('Uploaded').waitFor();

  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview: what students will see' });
  await preview.waitFor();
  t.is(await preview.locator('strong').innerText(), 'chapter 3');
  t.is(await preview.locator('script').count(), 0, 'the sanitiser dropped the script');
  t.is(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked), undefined);
  t.is(await page.getByLabel('Title').inputValue(), 'Reading', 'the form keeps what was typed');
  t.is(await page.getByLabel('Instructions').inputValue(), UNSAFE);
  t.true(await page.getByRole('button', { name: 'Remove worksheet.pdf' }).isVisible(), 'and the file chosen');
  t.deepEqual(await seriousViolations(page), []);

  await page.getByRole('button', { name: 'Save homework' }).click();
  await page.waitForURL(/\/homework\/[0-9a-f-]{36}$/);
  const homeworkUrl = page.url();
  await context.close();

  const student = await openContext(PHONE);
  const sp = await student.newPage();
  await signIn(sp, home, w.sam);
  await sp.goto(homeworkUrl);
  const link = sp.getByRole('link', { name: 'worksheet.pdf' });
  t.deepEqual(await download(sp, (await link.getAttribute('href')) as string), { status: 200, type: 'application/pdf', start: '%PDF-' });
  t.false(await scrollsSideways(sp));
  await student.close();
});

test('notices: preview, then post with a letter attached; students download it from the class page', async (t) => {
  const w = await homeworkWorld();
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext(PHONE);
  const page = await context.newPage();
  await signIn(page, home, w.teacher);
  await page.goto(`${home}classes/${w.maths.id}`);
  await page.getByText('Post a notice').click();
  await page.getByLabel('Title').fill('Trip letter');
  await page.getByLabel('Message').fill('Please sign the *attached* letter.');
  await page.getByLabel('Pinned').check();
  await page.getByLabel('Attach files').setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByText('Uploaded').waitFor();
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview: what students will see' });
  await preview.waitFor();
  t.is(await preview.locator('em').innerText(), 'attached');
  t.true(await page.getByLabel('Pinned').isChecked());
  t.false(await scrollsSideways(page));
  t.deepEqual(await seriousViolations(page), []);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await page.waitForURL(/\/notices\/[0-9a-f-]{36}$/);
  t.true(await page.getByRole('link', { name: 'letter.pdf' }).isVisible());
  await context.close();

  const student = await openContext();
  const sp = await student.newPage();
  await signIn(sp, home, w.ada);
  await sp.goto(`${home}classes/${w.maths.id}`);
  const link = sp.getByRole('region', { name: 'Stream' }).getByRole('link', { name: 'letter.pdf' });
  t.deepEqual(await download(sp, (await link.getAttribute('href')) as string), { status: 200, type: 'application/pdf', start: '%PDF-' });
  await student.close();
});
