// Handing in a file with JavaScript off: the picker is hidden and a plain multipart form sends one
// file at a time through the same upload service (type decided from the bytes); it comes back
// ticked in the hand-in form, which then hands it in. A refused file is named beside the form.
import test from 'ava';
import { openContext, PHONE, schoolUrl, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { PDF } from '../helpers/files.ts';
import { homeworkWorld } from '../helpers/homework.ts';

test('with JavaScript off a student uploads two files through the plain form and hands them in', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ title: 'Book report', due_at: new Date(Date.now() + 86_400_000).toISOString() });
  const home = schoolUrl(w.app.port, w.school.slug);
  const context = await openContext(PHONE, { javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, home, w.sam);
  await page.goto(`${home}homework/${hw.id}`);
  const work = page.getByRole('region', { name: 'Your work' });
  t.false(await page.locator('#files').isVisible(), 'the picker needs JavaScript: hidden');
  const plain = page.locator('#plain-file');
  t.true(await plain.isVisible());

  await plain.setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF });
  await work.getByRole('button', { name: 'Upload file' }).click();
  await page.waitForURL(/keep=/);
  t.true(await work.getByRole('checkbox', { name: 'report.pdf' }).isChecked());

  // A second file keeps the first; one whose bytes are not what its name says is refused.
  await plain.setInputFiles({ name: 'fake.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>no</html>') });
  await work.getByRole('button', { name: 'Upload file' }).click();
  await work.locator('.field-error').waitFor();
  t.regex(await work.locator('.field-error').innerText(), /./);
  t.true(await work.getByRole('checkbox', { name: 'report.pdf' }).isChecked(), 'the first file is still there');
  await plain.setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: PDF });
  await work.getByRole('button', { name: 'Upload file' }).click();
  await page.waitForURL(/keep=.*keep=/);
  t.true(await work.getByRole('checkbox', { name: 'notes.pdf' }).isChecked());
  t.false(await scrollsSideways(page));

  await work.getByLabel('Your answer').fill('Report and notes attached.');
  await work.getByRole('button', { name: 'Hand in' }).click();
  await page.waitForURL(/handed_in=1/);
  const mine = await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`);
  t.deepEqual(mine.body.attachments.map((a: { name: string }) => a.name).sort(), ['notes.pdf', 'report.pdf']);
  await context.close();

  // The same page with JavaScript on: the picker, no plain form; axe on both states' markup.
  const js = await openContext(PHONE);
  const jp = await js.newPage();
  await signIn(jp, home, w.sam);
  await jp.goto(`${home}homework/${hw.id}`);
  t.false(await jp.getByRole('button', { name: 'Upload file' }).isVisible());
  t.true(await jp.locator('#files').isVisible());
  t.deepEqual(await seriousViolations(jp), []);
  await jp.evaluate(() => {
    for (const f of document.querySelectorAll<HTMLElement>('form[data-plain-upload]')) f.hidden = false;
    for (const p of document.querySelectorAll<HTMLElement>('[data-picker]')) p.hidden = true;
  });
  t.deepEqual(await seriousViolations(jp), [], 'the no-JavaScript state too');
  await js.close();
});

test('the plain upload form needs the CSRF token in its address and is for the homework’s students', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ title: 'Book report', due_at: new Date(Date.now() + 86_400_000).toISOString() });
  const home = schoolUrl(w.app.port, w.school.slug);
  for (const [who, tokened, status] of [
    [w.sam, false, 403],
    [w.teacher, true, 403],
    [w.olly, true, 404],
  ] as const) {
    const context = await openContext();
    const page = await context.newPage();
    await signIn(page, home, who);
    const answer = await page.evaluate(
      async ({ url, tokened }) => {
        const csrf = await (await fetch('/api/v1/auth/csrf')).json();
        const body = new FormData();
        body.append('file', new Blob(['%PDF-1.4\n'], { type: 'application/pdf' }), 'x.pdf');
        return (await fetch(tokened ? `${url}?_csrf=${encodeURIComponent(csrf.csrf_token ?? csrf.token)}` : url, { method: 'POST', body })).status;
      },
      { url: `/homework/${hw.id}/files`, tokened },
    );
    t.is(answer, status, who.email);
    await context.close();
  }
});
