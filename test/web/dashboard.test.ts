// The school's front page in a real browser: signed out it is the sign-in form (with the
// district button), signed in it is each person's dashboard. axe-core and a 360 px phone too.
import test from 'ava';
import { openContext, PHONE, schoolUrl, screenshot, scrollsSideways, seriousViolations } from '../helpers/browser.ts';
import { PASSWORD, scene } from '../helpers/factories.ts';

/** Sam's class has homework due in two days; Pat is Sam's guardian. */
async function homeworkDueWorld() {
  const w = await scene({
    people: {
      teacher: { role: 'teacher', first_name: 'Tess', last_name: 'Teach' },
      sam: { role: 'student', first_name: 'Sam', last_name: 'Able' },
      parent: { role: 'guardian', first_name: 'Pat', last_name: 'Able', guardianOf: ['sam'] },
    },
    classes: { science: { name: 'Year 5 Science', teachers: ['teacher'], students: ['sam'] } },
    school: { name: 'Lincoln Elementary' },
  });
  const due = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const hw = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.science.id}/homework`, {
    title: 'Plant diary <script>alert(1)</script>',
    instructions: 'Draw your bean.',
    points: 10,
    due_at: due,
    publish_at: 'now',
  });
  if (hw.status !== 201) throw new Error(`homework: ${hw.status} ${hw.text}`);
  return w;
}

test('signed out, the front page is the school’s sign-in form; signed in, the student’s dashboard', async (t) => {
  const { app, school, sam } = await homeworkDueWorld();
  const context = await openContext();
  const page = await context.newPage();
  await page.goto(schoolUrl(app.port, school.slug));
  t.is(await page.title(), 'Sign in · Lincoln Elementary');
  t.true(await page.getByRole('heading', { name: 'Sign in to Lincoln Elementary' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'sign-in');

  await page.getByLabel('Email address').fill(sam.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(schoolUrl(app.port, school.slug, '/'));
  t.true(await page.getByRole('heading', { name: 'Hello, Sam' }).isVisible());
  const due = page.getByRole('region', { name: 'Due soon' });
  // The teacher's title arrives as text, never as markup.
  t.true(await due.getByRole('link', { name: 'Plant diary <script>alert(1)</script>' }).isVisible());
  t.deepEqual(await seriousViolations(page), []);
  await screenshot(page, 'student-dashboard');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in/);
  await page.goto(schoolUrl(app.port, school.slug));
  t.true(await page.getByRole('button', { name: 'Sign in' }).isVisible(), 'the session ended');
  await context.close();
});

test('a guardian sees each linked student; a teacher sees what to grade; both fit a 360 px phone', async (t) => {
  const { app, school, parent, teacher } = await homeworkDueWorld();
  for (const [person, heading, section] of [
    [parent, 'Hello, Pat', 'Sam Able'],
    [teacher, 'Hello, Tess', 'Coming up'],
  ] as const) {
    const context = await openContext(PHONE);
    const page = await context.newPage();
    await page.goto(schoolUrl(app.port, school.slug));
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(schoolUrl(app.port, school.slug, '/'));
    t.true(await page.getByRole('heading', { name: heading }).isVisible());
    t.true(await page.getByRole('heading', { name: section }).isVisible());
    t.false(await scrollsSideways(page), `${person.role}: no sideways scrolling at 360 px`);
    t.deepEqual(await seriousViolations(page), [], person.role);
    await screenshot(page, `${person.role}-dashboard-phone`);
    await context.close();
  }
});

test('a wrong password re-renders the form with the email kept and the error next to the fields', async (t) => {
  const { app, school, sam } = await homeworkDueWorld();
  const context = await openContext();
  const page = await context.newPage();
  await page.goto(schoolUrl(app.port, school.slug));
  await page.getByLabel('Email address').fill(sam.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  t.true(await page.getByRole('alert').isVisible());
  t.is(await page.getByLabel('Email address').inputValue(), sam.email);
  t.is(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test('pages answer problems as pages: an unknown address is a friendly 404 with a reference', async (t) => {
  const { app, school } = await homeworkDueWorld();
  const context = await openContext();
  const page = await context.newPage();
  const response = await page.goto(schoolUrl(app.port, school.slug, '/no/such/page'));
  t.is(response?.status(), 404);
  t.true(await page.getByRole('heading', { name: 'Page not found' }).isVisible());
  t.regex(await page.locator('main').innerText(), /Reference: /);
  t.deepEqual(await seriousViolations(page), []);
  await context.close();
});

test('a sign-in form posted from another site is refused (login CSRF); from the school’s own page it works', async (t) => {
  const { app, school, sam } = await homeworkDueWorld();
  const form = (origin: string) =>
    app.request(school.slug, 'POST', '/sign-in', {
      raw: new URLSearchParams({ email: sam.email, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    });
  const forged = await form('https://evil.example');
  t.is(forged.status, 403);
  t.falsy(forged.headers['set-cookie'], 'no session was started');
  const own = await form(`http://${school.slug}.localhost:${app.port}`);
  t.is(own.status, 303);
  t.regex(String(own.headers['set-cookie']), /edify_session=/);
});
