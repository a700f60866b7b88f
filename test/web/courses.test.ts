// Course pages in the browser (issue #18 item 7): a teacher builds a course through the pages
// (units, lessons with a Markdown preview, a video, a prerequisite, drafts published); a student
// sees the locked lesson explained, finishes lesson A, lesson B opens, finishes the course and
// gets the certificate page (its PDF rendered by the test app's in-process worker: awaited
// through the student's live event, no sleeps) and the public /verify page says genuine; a
// guardian sees their student's progress; the teacher's progress page shows who is stuck where.
// Every page: axe (no serious or critical violation) and 360 px without sideways scrolling.
import test, { type ExecutionContext } from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { eventHub } from '../../api/notifications/events.ts';
import { withTenant } from '../../tenants/session.ts';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations, signIn } from '../helpers/browser.ts';
import { testEnv } from '../helpers/env.ts';
import { scene } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

// With the in-process worker (test/helpers/jobs.ts): it renders the certificate PDF.
const app = startApp();

async function checkPage(t: ExecutionContext, page: Page, name: string) {
  t.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
  await screenshot(page, name);
  const size = page.viewportSize();
  await page.setViewportSize(PHONE);
  t.false(await scrollsSideways(page), `${name} fits 360 px`);
  if (size) await page.setViewportSize(size);
}

/** The video players' pages do not resolve here: the browser stands them in. */
async function standInPlayers(context: BrowserContext) {
  await context.route(/^https:\/\/(www\.youtube-nocookie\.com|player\.vimeo\.com)\//, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><html lang="en"><title>Player</title><p>Video</p></html>' }),
  );
}

type PhysicsClass = Awaited<ReturnType<typeof startPhysicsClass>>;
function startPhysicsClass() {
  return scene({
    app,
    people: {
      teacher: { role: 'teacher', first_name: 'Tess', last_name: 'Teacher' },
      ann: { role: 'student', first_name: 'Ann', last_name: 'Archer' },
      ben: { role: 'student', first_name: 'Ben', last_name: 'Baker' },
      cal: { role: 'student', first_name: 'Cal', last_name: 'Cooper' },
      guardian: { role: 'guardian', first_name: 'Gail', last_name: 'Archer', guardianOf: ['ann'] },
    },
    classes: { klass: { name: 'Physics', teachers: ['teacher'], students: ['ann', 'ben', 'cal'] } },
  });
}
let made: Promise<PhysicsClass> | undefined;
/** One school with its Physics class, shared by the file's serial tests (the first builds the course). */
function physicsClass(): Promise<PhysicsClass> {
  made ??= startPhysicsClass();
  return made;
}

const lessonsOf = (w: PhysicsClass) =>
  withTenant(testEnv().dbs.app, { id: w.school.tenant.id }, (db) =>
    db('course_lessons').where({ class_id: w.klass.id }).orderBy('position').select('id', 'title', 'publish_at', 'prerequisite_lesson_id', 'video_embed_url'),
  );

test.serial('a teacher builds a course through the pages: units, lessons, a prerequisite, publish', async (t) => {
  const { port } = await app;
  const w = await physicsClass();
  const context = await openContext();
  await standInPlayers(context);
  const page = await context.newPage();
  await signIn(page, schoolUrl(port, w.school.slug), w.teacher);
  await page.getByRole('navigation').getByRole('link', { name: 'Courses' }).click();
  await page.waitForURL(/\/courses$/);
  await checkPage(t, page, 'courses');
  await page.getByRole('link', { name: 'Physics' }).click();
  await page.waitForURL(new RegExp(`/classes/${w.klass.id}/course$`));
  t.regex(await page.locator('main').innerText(), /no course yet/);

  // A unit, kept as a draft; a mistake first (no title) comes back beside the field.
  await page.getByRole('radio', { name: 'Keep as a draft' }).check();
  await page.getByRole('button', { name: 'Add unit' }).click();
  t.regex(await page.locator('#title-error').innerText(), /required/);
  await page.getByLabel('Unit title').fill('Forces');
  await page.getByRole('radio', { name: 'Keep as a draft' }).check();
  await page.getByRole('button', { name: 'Add unit' }).click();
  await page.waitForURL(/\/course#unit-/);
  t.regex(await page.getByRole('heading', { name: /Forces/ }).innerText(), /Draft/);
  await checkPage(t, page, 'course-builder');

  // Lesson A: Markdown previewed, then saved, with a YouTube video.
  await page.getByRole('link', { name: 'Add a lesson to Forces' }).click();
  await page.waitForURL(/\/lessons\/new$/);
  await page.getByLabel('Lesson title').fill('Pushes and pulls');
  await page.getByLabel('Lesson', { exact: true }).fill('Read **this** first.');
  await page.getByLabel('Video link (optional)').fill('https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  await page.getByRole('button', { name: 'Preview' }).click();
  t.is(await page.locator('.preview strong').innerText(), 'this');
  t.is(await page.getByLabel('Lesson title').inputValue(), 'Pushes and pulls', 'kept after the preview');
  await checkPage(t, page, 'lesson-form');
  await page.getByRole('button', { name: 'Add lesson' }).click();
  await page.waitForURL(/\/course#unit-/);

  // Lesson B waits for A. A video host the school has not allowed is refused beside its field.
  await page.getByRole('link', { name: 'Add a lesson to Forces' }).click();
  await page.getByLabel('Lesson title').fill('Friction');
  await page.getByLabel('Lesson', { exact: true }).fill('Rub your hands together.');
  await page.getByLabel('Video link (optional)').fill('https://videos.example.com/x.mp4');
  await page.getByLabel('Opens after this lesson is done (optional)').selectOption({ label: 'Forces: Pushes and pulls' });
  await page.getByRole('button', { name: 'Add lesson' }).click();
  t.regex(await page.locator('#video_url-error').innerText(), /YouTube or Vimeo/);
  t.is(await page.getByLabel('Lesson title').inputValue(), 'Friction');
  await page.getByLabel('Video link (optional)').fill('');
  await page.getByRole('button', { name: 'Add lesson' }).click();
  await page.waitForURL(/\/course#unit-/);

  // Publish the unit with the keyboard.
  await page.getByRole('button', { name: 'Publish Forces' }).focus();
  await page.keyboard.press('Enter');
  // The address is the same before and after (…/course#unit-…): wait for the published page itself.
  await page.getByRole('button', { name: 'Back to draft: Forces' }).waitFor();
  t.false((await page.getByRole('heading', { name: /Forces/ }).innerText()).includes('Draft'));
  const lessons = await lessonsOf(w);
  t.deepEqual(
    lessons.map((l) => l.title),
    ['Pushes and pulls', 'Friction'],
  );
  t.is(lessons[1]?.prerequisite_lesson_id, lessons[0]?.id);
  t.is(lessons[0]?.video_embed_url, 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ');
  t.true(lessons.every((l) => l.publish_at !== null));

  // Editing a lesson keeps what the form does not show, and the Markdown.
  await page.getByRole('link', { name: 'Edit Friction' }).click();
  await page.waitForURL(/\/edit$/);
  t.is(await page.getByLabel('Lesson', { exact: true }).inputValue(), 'Rub your hands together.');
  await page.getByLabel('About how many minutes (optional)').fill('15');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(/\/lessons\/[0-9a-f-]+$/);
  t.regex(await page.locator('main').innerText(), /About 15 min/);

  // Reordering from the page: one click sends the whole new order with the version shown.
  const courseUrl = schoolUrl(port, w.school.slug, `/classes/${w.klass.id}/course`);
  const stale = await context.newPage();
  await stale.goto(courseUrl);
  await page.goto(courseUrl);
  await page.getByRole('button', { name: 'Move up: Friction' }).click();
  await page.waitForURL(/\/course#lesson-/);
  t.deepEqual(
    (await lessonsOf(w)).map((l) => l.title),
    ['Friction', 'Pushes and pulls'],
  );
  t.is(await page.getByRole('button', { name: 'Move up: Friction' }).count(), 0, 'the first lesson cannot go up');
  await checkPage(t, page, 'course-outline-teacher');
  // A page opened before that change carries the old version: refused, nothing moves.
  await stale.getByRole('button', { name: 'Move up: Friction' }).click();
  t.regex(await stale.locator('main').innerText(), /Someone changed this unit’s lessons since you loaded it/);
  t.deepEqual(
    (await lessonsOf(w)).map((l) => l.title),
    ['Friction', 'Pushes and pulls'],
  );
  // And back down, from the fresh page: the later tests take this course in its built order.
  await page.getByRole('button', { name: 'Move down: Friction' }).click();
  // Same address before and after: wait for the reordered page (Friction second again can go up).
  await page.getByRole('button', { name: 'Move up: Friction' }).waitFor();
  t.deepEqual(
    (await lessonsOf(w)).map((l) => l.title),
    ['Pushes and pulls', 'Friction'],
  );
  await context.close();
});

test.serial('a student: the locked lesson is explained, A opens B, the course ends in a verifiable certificate', async (t) => {
  const { port } = await app;
  const w = await physicsClass();
  const [a, b] = await lessonsOf(w);
  if (!a || !b) throw new Error('the first test builds the course');
  const context = await openContext();
  await standInPlayers(context);
  const page = await context.newPage();
  await signIn(page, schoolUrl(port, w.school.slug), w.ann);
  await page.getByRole('navigation').getByRole('link', { name: 'Courses' }).click();
  await page.getByRole('link', { name: 'Physics' }).click();
  await page.waitForURL(new RegExp(`/classes/${w.klass.id}/course$`));
  const locked = page.locator(`#lesson-${b.id}`);
  t.regex(await locked.innerText(), /Locked/);
  t.regex(await locked.innerText(), /opens when you finish “Pushes and pulls”/);
  t.is(await locked.getByRole('link').count(), 0, 'no link into a locked lesson');
  await checkPage(t, page, 'course-student');
  const refused = await page.goto(schoolUrl(port, w.school.slug, `/lessons/${b.id}`));
  t.is(refused?.status(), 403);
  t.regex(await page.locator('main').innerText(), /opens when you finish/);
  t.false((await page.content()).includes('Rub your hands'));

  // Lesson A: the privacy-enhanced player, allowed by this page's CSP only.
  const opened = await page.goto(schoolUrl(port, w.school.slug, `/lessons/${a.id}`));
  const csp = opened?.headers()['content-security-policy'] ?? '';
  t.regex(csp, /frame-src https:\/\/www\.youtube-nocookie\.com https:\/\/player\.vimeo\.com/);
  t.regex(csp, /default-src 'self'/);
  const frame = page.locator('iframe');
  t.is(await frame.getAttribute('src'), 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ');
  t.is(await frame.getAttribute('title'), 'Video: Pushes and pulls');
  await checkPage(t, page, 'lesson-student');

  // Done with the keyboard: back on the outline, A is done and B opens.
  await page.getByRole('button', { name: 'Mark as done' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/course#lesson-${a.id}$`));
  t.regex(await page.locator(`#lesson-${a.id}`).innerText(), /Done/);
  await page.locator(`#lesson-${b.id}`).getByRole('link', { name: 'Friction' }).click();
  await page.waitForURL(new RegExp(`/lessons/${b.id}$`));
  const plain = await page.goto(schoolUrl(port, w.school.slug, `/lessons/${b.id}`));
  t.false(/frame-src/.test(plain?.headers()['content-security-policy'] ?? ''), 'no video: no frame-src');

  // The last lesson completes the course; the worker renders the PDF and tells Ann (a live event).
  const hub = eventHub(testEnv().dbs.appUrl, () => undefined);
  let told: () => void = () => undefined;
  const notified = new Promise<void>((resolve) => {
    told = resolve;
  });
  const stop = await hub.subscribe(w.school.tenant.id, w.ann.id, (event) => {
    if (event.type === 'notification') told();
  });
  await page.getByRole('button', { name: 'Mark as done' }).click();
  await page.waitForURL(/\/course#lesson-/);
  await notified;
  stop();
  // The page's own message, not the live-notification banner (also a status) that may arrive meanwhile.
  t.regex(
    await page
      .getByRole('status')
      .filter({ hasText: /finished this course/ })
      .innerText(),
    /finished this course/,
  );
  await page.getByRole('link', { name: 'See your certificate' }).click();
  await page.waitForURL(/\/certificates\//);
  t.regex(await page.locator('main').innerText(), /Awarded to Ann Archer/);
  const pdfHref = await page.getByRole('link', { name: 'Download the certificate (PDF)' }).getAttribute('href');
  const pdf = await page.evaluate(async (href) => {
    const res = await fetch(href as string);
    return { status: res.status, type: res.headers.get('content-type'), head: new TextDecoder().decode((await res.arrayBuffer()).slice(0, 5)) };
  }, pdfHref);
  t.deepEqual(pdf, { status: 200, type: 'application/pdf', head: '%PDF-' });
  await checkPage(t, page, 'certificate');
  const verifyPath = (await page.locator('a[href^="/verify/"]').getAttribute('href')) as string;
  await context.close();

  // Anyone, signed out, can check it.
  const stranger = await openContext();
  const check = await stranger.newPage();
  await check.goto(schoolUrl(port, w.school.slug, verifyPath));
  const said = await check.getByRole('status').innerText();
  t.regex(said, /This certificate is genuine/);
  t.regex(said, /Ann Archer/);
  t.regex(said, /Physics/);
  await checkPage(t, check, 'verify');
  await check.goto(schoolUrl(port, w.school.slug, `/verify/${'a'.repeat(26)}`));
  t.regex(await check.getByRole('status').innerText(), /no certificate with this code/);
  await stranger.close();
});

test.serial('a guardian sees their student’s progress; the teacher sees who is stuck where', async (t) => {
  const { port } = await app;
  const w = await physicsClass();
  const [a] = await lessonsOf(w);
  if (!a) throw new Error('the first test builds the course');
  // Ben has finished A (so he waits at Friction); Cal has not started.
  const ben = await w.request(w.ben, 'POST', `/api/v1/lessons/${a.id}/progress`, { event_id: 'ben-a' });
  t.is(ben.status, 200);

  const guardianContext = await openContext();
  const gpage = await guardianContext.newPage();
  await signIn(gpage, schoolUrl(port, w.school.slug), w.guardian);
  await gpage.getByRole('navigation').getByRole('link', { name: 'Courses' }).click();
  await gpage.getByRole('link', { name: 'Physics' }).click();
  await gpage.getByRole('link', { name: 'Progress' }).click();
  await gpage.waitForURL(/\/course\/progress$/);
  const rows = gpage.locator('tbody tr');
  t.is(await rows.count(), 1, 'only their own student');
  t.regex(await rows.first().innerText(), /Ann Archer\s+2 \/ 2 \(100%\)/);
  await checkPage(t, gpage, 'course-progress-guardian');
  await guardianContext.close();

  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(port, w.school.slug), w.teacher);
  await page.goto(schoolUrl(port, w.school.slug, `/classes/${w.klass.id}/course/progress`));
  const table = await page.locator('tbody').innerText();
  const line = (name: string) => table.split('\n').find((l) => l.includes(name)) ?? '';
  t.regex(line('Ann Archer'), /2 \/ 2.*—/);
  t.regex(line('Ben Baker'), /1 \/ 2 \(50%\)\s+Friction/);
  t.regex(line('Cal Cooper'), /0 \/ 2 \(0%\)\s+Pushes and pulls/);
  await checkPage(t, page, 'course-progress-teacher');
  await context.close();
});

test.serial('a teacher releases a unit and a lesson at a set time; editing the lesson keeps that time instead of publishing it now', async (t) => {
  const { port } = await app;
  const w = await physicsClass();
  const context = await openContext();
  const page = await context.newPage();
  await signIn(page, schoolUrl(port, w.school.slug), w.teacher);
  await page.goto(schoolUrl(port, w.school.slug, `/classes/${w.klass.id}/course`));
  // A unit released at a set time is marked Scheduled on the outline.
  await page.getByLabel('Unit title').fill('Machines');
  await page.getByRole('radio', { name: 'At a set time' }).check();
  await page.getByLabel('Show it to students at (for “At a set time”)').fill('2031-01-13T09:00');
  await page.getByRole('button', { name: 'Add unit' }).click();
  await page.waitForURL(/\/course#unit-/);
  t.regex(await page.getByRole('heading', { name: /Machines/ }).innerText(), /Scheduled/);

  await page.getByRole('link', { name: 'Add a lesson to Forces' }).click();
  await page.waitForURL(/\/lessons\/new$/);
  await page.getByLabel('Lesson title').fill('Levers');
  await page.getByLabel('Lesson', { exact: true }).fill('A lever turns a small push into a big one.');
  await page.getByRole('radio', { name: 'At a set time' }).check();
  await page.getByLabel('Show it to students at (for “At a set time”)').fill('2031-01-06T09:00');
  await page.getByRole('button', { name: 'Add lesson' }).click();
  await page.waitForURL(/\/course#unit-/);
  const scheduled = (await lessonsOf(w)).find((l) => l.title === 'Levers');
  t.regex(await page.locator(`#lesson-${scheduled?.id}`).innerText(), /Scheduled/);
  t.truthy(scheduled?.publish_at);
  t.true(new Date(scheduled?.publish_at as string) > new Date(), 'released later, not now');

  // The edit form shows the time; saving it keeps the lesson scheduled.
  await page.getByRole('link', { name: 'Edit Levers' }).click();
  await page.waitForURL(/\/edit$/);
  t.true(await page.getByRole('radio', { name: 'At a set time' }).isChecked());
  t.is(await page.getByLabel('Show it to students at (for “At a set time”)').inputValue(), '2031-01-06T09:00');
  await page.getByLabel('About how many minutes (optional)').fill('5');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(/\/lessons\/[0-9a-f-]+$/);
  const after = (await lessonsOf(w)).find((l) => l.title === 'Levers');
  t.is(new Date(after?.publish_at as string).getTime(), new Date(scheduled?.publish_at as string).getTime(), 'still released at the same time');
  await context.close();
});
