// Handing in a file from the homework page: the picker uploads it with progress to the file
// service (type checked from the bytes), the hand-in carries it, and the teacher opens it from
// the grading view; a file whose bytes are not what its name says is refused beside the picker.
import test from 'ava';
import { openContext, schoolUrl, seriousViolations, signIn } from '../helpers/browser.ts';
import { PASSWORD } from '../helpers/factories.ts';
import { PDF } from '../helpers/files.ts';
import { homeworkWorld } from '../helpers/homework.ts';

test('a student hands in a PDF from the homework page; the teacher opens it from the grading view', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ title: 'Book report', due_at: new Date(Date.now() + 86_400_000).toISOString() });
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await page.goto(home);
  await page.getByLabel('Email address').fill(w.sam.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(home);
  await page.goto(`${home}homework/${hw.id}`);

  await page.getByLabel('Attach files').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByText('Uploaded').waitFor();
  await page
    .getByLabel('Attach files')
    .setInputFiles({ name: 'virus.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html><script>x</script></html>') });
  await page.locator('#file-list .field-error').waitFor();
  t.deepEqual(await seriousViolations(page), []);
  await page.getByLabel('Your answer').fill('My report is attached.');
  await page.getByRole('button', { name: 'Hand in' }).click();
  await page.waitForURL(/handed_in=1/);
  t.true(await page.getByRole('region', { name: 'Your work' }).getByRole('link', { name: 'report.pdf' }).isVisible());
  await context.close();

  const teacherContext = await openContext();
  const tp = await teacherContext.newPage();
  await tp.goto(home);
  await tp.getByLabel('Email address').fill(w.teacher.email);
  await tp.getByLabel('Password').fill(PASSWORD);
  await tp.getByRole('button', { name: 'Sign in' }).click();
  await tp.waitForURL(home);
  await tp.goto(`${home}homework/${hw.id}/submissions/${w.sam.id}`);
  const link = tp.getByRole('region', { name: 'Work' }).getByRole('link', { name: 'report.pdf' });
  const href = (await link.getAttribute('href')) as string;
  const download = await tp.evaluate(async (url) => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get('content-type'), start: (await res.text()).slice(0, 5) };
  }, href);
  t.deepEqual(download, { status: 200, type: 'application/pdf', start: '%PDF-' });
  await teacherContext.close();
});

test('a student removes a file before handing in (it is deleted), and takes one off when handing in again', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ title: 'Book report', due_at: new Date(Date.now() + 86_400_000).toISOString() });
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, home, w.sam);
  await page.goto(`${home}homework/${hw.id}`);
  const picker = page.getByLabel('Attach files');
  await picker.setInputFiles({ name: 'draft.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByRole('button', { name: 'Remove draft.pdf' }).waitFor();
  await picker.setInputFiles({ name: 'final.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByRole('button', { name: 'Remove final.pdf' }).waitFor();
  const draftId = await page.locator('#file-list li', { hasText: 'draft.pdf' }).locator('input[name="file_ids"]').inputValue();
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/v1/files/${draftId}`));
  await page.getByRole('button', { name: 'Remove draft.pdf' }).click();
  t.is((await deleted).status(), 204, 'a file uploaded just now and removed is deleted');
  t.deepEqual(await seriousViolations(page), []);
  await page.getByLabel('Your answer').fill('Final version attached.');
  await page.getByRole('button', { name: 'Hand in' }).click();
  await page.waitForURL(/handed_in=1/);
  const first = await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`);
  t.deepEqual(
    first.body.attachments.map((a: { name: string }) => a.name),
    ['final.pdf'],
  );
  t.is((await w.get(w.sam, `/api/v1/files/${draftId}`)).status, 404);

  // Handing in again without the file: the new version has none, the earlier one keeps it.
  await page.getByRole('button', { name: 'Remove final.pdf' }).click();
  await page.getByRole('button', { name: 'Hand in again' }).click();
  await page.waitForURL(/handed_in=1/);
  const second = await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`);
  t.deepEqual(second.body.attachments, []);
  t.is(second.body.version, 2);
  await context.close();
});
