// The catalogue and self-enrolment: the cap holds under concurrent enrolments (a row lock and a
// count in SQL), dates are enforced with the app's clock, nobody enrols twice, and the catalogue
// is searchable through the search index.
import test from 'ava';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, inSchool, type Person, type School, scene } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const DAY = 86_400_000;

async function catalogueWorld() {
  const clock = { now: new Date() };
  const w = await scene({
    app: startApp({}, { clock: () => clock.now }),
    people: { teacher: 'teacher' },
    classes: { klass: { name: 'Volcanoes of the world', teachers: ['teacher'] } },
  });
  return { ...w, clock };
}

const studentsOnRoster = (school: School, classId: string) =>
  inSchool(school, async (scope) => Number((await scope.db('enrollments').where({ class_id: classId, role: 'student' }).count('* as n'))[0]?.n));

test('the cap holds when many students enrol at once', async (t) => {
  const w = await catalogueWorld();
  const set = await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, { self_enrol: true, cap: 2 });
  t.is(set.status, 200, JSON.stringify(set.body));
  const students = await Promise.all(Array.from({ length: 6 }, () => createPerson(w.school, 'student')));
  const answers = await Promise.all(students.map((s) => w.request(s, 'POST', `/api/v1/classes/${w.klass.id}/offering/enrol`)));
  t.is(answers.filter((r) => r.status === 201).length, 2);
  t.true(
    answers.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.reason === 'full'),
    JSON.stringify(answers.map((r) => r.body)),
  );
  t.is(await studentsOnRoster(w.school, w.klass.id), 2);
  const seen = await w.get(students[0] as Person, `/api/v1/classes/${w.klass.id}/offering`);
  t.like(seen.body, { state: 'full', places_left: 0, enrolled: 2 });
});

test('a student cannot enrol before the offering opens, after it closes, or twice', async (t) => {
  const w = await catalogueWorld();
  const opens = new Date(w.clock.now.getTime() + DAY);
  const closes = new Date(w.clock.now.getTime() + 3 * DAY);
  await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, {
    self_enrol: true,
    opens_at: opens.toISOString(),
    closes_at: closes.toISOString(),
  });
  const student = await createPerson(w.school, 'student');
  const enrol = () => w.request(student, 'POST', `/api/v1/classes/${w.klass.id}/offering/enrol`);

  const early = await enrol();
  t.is(early.status, 409);
  t.is(early.body.reason, 'not_open_yet');
  w.clock.now = new Date(closes.getTime() + 1000);
  const late = await enrol();
  t.is(late.status, 409);
  t.is(late.body.reason, 'closed');
  t.is(await studentsOnRoster(w.school, w.klass.id), 0);

  w.clock.now = new Date(opens.getTime() + 1000);
  const inTime = await enrol();
  t.is(inTime.status, 201);
  t.is(inTime.body.you, 'enrolled');
  const again = await enrol();
  t.is(again.status, 409);
  t.is(again.body.reason, 'already_enrolled');
  t.is(await studentsOnRoster(w.school, w.klass.id), 1);
  const classes = await w.get(student, '/api/v1/classes');
  t.deepEqual(
    classes.body.data.map((c: { id: string }) => c.id),
    [w.klass.id],
    'the student is on the class roster',
  );
});

test('the catalogue lists open offerings, finds them by search, and hides the rest', async (t) => {
  const w = await catalogueWorld();
  const hidden = await createClassIn(w.school, { teachers: [w.teacher] }, 'Volcano club (staff only)');
  await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, { self_enrol: true });
  await w.request(w.teacher, 'PUT', `/api/v1/classes/${hidden.id}/offering`, { self_enrol: false });
  const student = await createPerson(w.school, 'student');
  const list = await w.get(student, '/api/v1/catalogue');
  t.deepEqual(
    list.body.data.map((o: { class_id: string }) => o.class_id),
    [w.klass.id],
  );
  t.is((await w.get(student, '/api/v1/catalogue?q=volcanoes')).body.data.length, 1, 'stemmed full-text search');
  t.is((await w.get(student, '/api/v1/catalogue?q=pottery')).body.data.length, 0);
  const search = await w.get(student, '/api/v1/search?q=volcano');
  t.deepEqual(
    search.body.data.filter((h: { kind: string }) => h.kind === 'offering').map((h: { class_id: string }) => h.class_id),
    [w.klass.id],
    'the search feature finds listed offerings only',
  );
  t.is((await w.get(student, `/api/v1/classes/${hidden.id}/offering`)).status, 404, 'an unlisted offering is invisible');
  t.is((await w.request(student, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, { self_enrol: false })).status, 403);
  const other = await createPerson(w.school, 'teacher');
  t.is((await w.request(other, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, { self_enrol: false })).status, 404, 'another teacher’s class');
});

test('a price needs the school’s Stripe account; a priced course is not free to join', async (t) => {
  const w = await catalogueWorld();
  const priced = { self_enrol: true, price_amount: 2500, currency: 'usd' };
  const refused = await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, priced);
  t.is(refused.status, 422);
  t.is((await w.request(w.admin, 'PUT', '/api/v1/course-payments/account', { stripe_account_id: 'acct_1TestSchool01' })).status, 204);
  t.is((await w.request(w.teacher, 'PUT', '/api/v1/course-payments/account', { stripe_account_id: 'acct_1TestSchool02' })).status, 403);
  t.is((await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/offering`, priced)).status, 200);
  const student = await createPerson(w.school, 'student');
  const free = await w.request(student, 'POST', `/api/v1/classes/${w.klass.id}/offering/enrol`);
  t.is(free.status, 409);
  t.is(free.body.reason, 'payment_required');
  t.is(await studentsOnRoster(w.school, w.klass.id), 0);
  t.is((await testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).first('stripe_account_id')).stripe_account_id, 'acct_1TestSchool01');
});
