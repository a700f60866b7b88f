// The pages through the real start path: `edify serve` as its own process (configuration from
// the environment, migrations, listen), not the in-process test app. A teacher signs in on the
// school's subdomain and opens a class; a student signs in and hands in homework.
import test from 'ava';
import { openContext, schoolUrl, seriousViolations, signIn } from '../helpers/browser.ts';
import { spawnEdify } from '../helpers/cli.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';

async function serve() {
  // --no-worker: the test database is shared with other test files, whose timed work runs on
  // their own clocks; this process only answers requests.
  const served = spawnEdify(['serve', '--port', '0', '--no-worker'], { LOG_LEVEL: 'warn' });
  const port = await served.listening();
  return { ...served, port };
}

test('against a spawned `edify serve`: a teacher signs in and opens a class, a student hands in', async (t) => {
  const school = await createSchool({ name: 'Riverside Primary' });
  const [teacher, sam] = await Promise.all([createPerson(school, 'teacher'), createPerson(school, 'student', { first_name: 'Sam' })]);
  const klass = await createClassIn(school, { teachers: [teacher], students: [sam] }, 'Year 4 Maths');
  const server = await serve();
  try {
    const home = schoolUrl(server.port, school.slug);
    const context = await openContext();
    const page = await context.newPage();
    await signIn(page, home, teacher);
    t.regex(await page.title(), /Riverside Primary/);
    await page.getByRole('link', { name: 'Classes', exact: true }).first().click();
    await page.getByRole('link', { name: 'Year 4 Maths' }).click();
    await page.waitForURL(`${home}classes/${klass.id}`);
    t.is(await page.getByRole('heading', { level: 1 }).innerText(), 'Year 4 Maths');
    t.deepEqual(await seriousViolations(page), []);

    // The teacher sets homework through the form; the student hands it in.
    await page.getByRole('link', { name: 'Set homework' }).click();
    await page.getByLabel('Title').fill('Times tables');
    await page.getByLabel(/^Due/).fill(new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 16));
    await page.getByRole('button', { name: 'Save homework' }).click();
    await page.waitForURL(/\/homework\/[0-9a-f-]{36}$/);
    const homeworkUrl = page.url();
    await context.close();

    const student = await openContext();
    const sp = await student.newPage();
    await signIn(sp, home, sam);
    await sp.goto(homeworkUrl);
    await sp.getByLabel('Your answer').fill('7 × 8 = 56');
    await sp.getByRole('button', { name: 'Hand in' }).click();
    await sp.waitForURL(/handed_in=1/);
    t.regex(await sp.getByRole('region', { name: 'Your work' }).innerText(), /7 × 8 = 56/);
    await student.close();
  } finally {
    server.child.kill('SIGINT');
    t.is(await server.exited, 0, server.output());
  }
});
