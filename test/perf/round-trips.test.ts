// P4 (docs/performance.md): database round trips per request, counted on the wire by a proxy
// between the app pool and PostgreSQL (bench/lib/pg-proxy.ts). Counts, never timings.
import test from 'ava';
import type { Knex } from 'knex';
import type { PgProxy } from '../../bench/lib/pg-proxy.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';
import { send } from '../helpers/http.ts';
import { makeQuiz, quizWorld, start } from '../helpers/quizzes.ts';
import { proxiedPool, quiet, serve, transactionStatus } from './wire.ts';

/** Runs `work` and reports the round trips begun in total and those the caller had waited out
 * when its promise resolved (read in the same tick, before any later answer can arrive). */
async function measure(proxy: PgProxy, app: Knex, work: () => Promise<unknown>) {
  await quiet(app);
  proxy.reset();
  await work();
  const awaited = proxy.counts().completed;
  await quiet(app);
  const { roundTrips, statements } = proxy.counts();
  return { awaited, roundTrips, statements: statements.map((s) => s.sql.replace(/\s+/g, ' ').trim()) };
}

test('a single-query read waits for 2 round trips: BEGIN rides with the tenant statement, COMMIT is not awaited', async (t) => {
  const school = await createSchool();
  const { proxy, app } = await proxiedPool();
  const read = () => withTenant(app, { slug: school.slug }, (db) => db('classes').select('id').first(), { readOnly: true });
  await read(); // opens the pool's connection (startup and knex's version check are not a request)
  const counted = await measure(proxy, app, read);
  t.is(counted.awaited, 2);
  t.is(counted.roundTrips, 3, 'the COMMIT still travels, after the caller has its answer');
  t.is(counted.statements.length, 3);
  t.regex(counted.statements[0] ?? '', /^begin transaction read only; select .* from tenants where slug = '/);
  t.regex(counted.statements[1] ?? '', /from "classes"/);
  t.is(counted.statements[2], 'COMMIT;');
});

test('a single-query write waits for 3 round trips: its COMMIT must succeed before anyone is told', async (t) => {
  const school = await createSchool();
  const { proxy, app } = await proxiedPool();
  const write = () => withTenant(app, { id: school.tenant.id }, (db) => db('classes').where({ name: 'no such class' }).update({ description: 'x' }));
  await write();
  const counted = await measure(proxy, app, write);
  t.is(counted.awaited, 3);
  t.is(counted.roundTrips, 3);
  t.regex(counted.statements[0] ?? '', /^begin; select .* from tenants where id = '/);
  t.is(counted.statements[2], 'COMMIT;');
});

test('an unknown school is a 404 and leaves the connection clean for the next school', async (t) => {
  const school = await createSchool();
  await createClassIn(school, {}, 'Kept');
  const { app } = await proxiedPool();
  const missing = await t.throwsAsync(withTenant(app, { slug: 'no-such-school-here' }, async () => 'never', { readOnly: true }));
  t.is((missing as { code?: string }).code, 'not-found');
  const quoted = await t.throwsAsync(withTenant(app, { slug: "o'brien\\'; select 1; --" }, async () => 'never'));
  t.is((quoted as { code?: string }).code, 'not-found', 'quotes and backslashes are escaped, not executed');
  await quiet(app);
  t.is(await transactionStatus(app), 'I', 'no transaction is left open on the pooled connection');
  const names = await withTenant(app, { slug: school.slug }, (db) => db('classes').pluck('name'), { readOnly: true });
  t.deepEqual(names, ['Kept']);
  await quiet(app);
  t.is(await transactionStatus(app), 'I', 'the un-awaited COMMIT has ended the read-only transaction');
});

test('back-to-back reads of two schools on one connection each see only their own school', async (t) => {
  const a = await createSchool();
  const b = await createSchool();
  await createClassIn(a, {}, 'A only');
  await createClassIn(b, {}, 'B only');
  const { app } = await proxiedPool();
  // One connection, no pause: each request's BEGIN queues behind the previous, un-awaited COMMIT.
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const school = i % 2 === 0 ? a : b;
      return withTenant(app, { slug: school.slug }, async (db) => ({ school: school.slug, names: await db('classes').pluck('name') }), { readOnly: true });
    }),
  );
  for (const [i, result] of results.entries()) {
    t.deepEqual(result.names, [i % 2 === 0 ? 'A only' : 'B only'], result.school);
  }
});

test('an authenticated GET /classes/:id waits for 2 round trips: BEGIN with the tenant statement and the sign-in, then the class; COMMIT is not awaited', async (t) => {
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const klass = await createClassIn(school, { students: [student] });
  const { proxy, app } = await proxiedPool();
  const port = await serve(app);
  const { config } = testEnv();
  const get = () => send(port, config.baseDomain, school.slug, 'GET', `/api/v1/classes/${klass.id}`, { token: student.token });
  t.is((await get()).status, 200);
  await quiet(app);
  proxy.reset();
  const res = await get();
  await quiet(app);
  t.is(res.status, 200);
  t.is(res.body.id, klass.id);
  const counts = proxy.counts();
  t.is(counts.roundTrips, 3, counts.statements.map((s) => s.sql).join('\n'));
  // The third, COMMIT, is not waited for (shown without HTTP's timing by the first test).
  t.is(counts.statements.length, 3);
  t.regex(counts.statements[0]?.sql ?? '', /^begin transaction read only;/);
  t.regex(counts.statements[0]?.sql ?? '', /join auth_sessions s on/, 'the sign-in lookup rides in the first message');
  t.is(counts.statements[2]?.sql, 'COMMIT;');
});

test('GET /me/dashboard is one statement after the sign-in, whatever the role: its sections are folded into one query', async (t) => {
  const school = await createSchool();
  const [student, teacher, guardian] = await Promise.all([createPerson(school, 'student'), createPerson(school, 'teacher'), createPerson(school, 'guardian')]);
  await createClassIn(school, { teachers: [teacher], students: [student] });
  const { proxy, app } = await proxiedPool();
  const port = await serve(app);
  const { config } = testEnv();
  for (const [who, person, expected] of [
    ['student', student, 3],
    ['teacher', teacher, 3],
    // A guardian's linked students are read first (whose sections to fold).
    ['guardian', guardian, 4],
  ] as const) {
    const get = () => send(port, config.baseDomain, school.slug, 'GET', '/api/v1/me/dashboard', { token: person.token });
    t.is((await get()).status, 200);
    await quiet(app);
    proxy.reset();
    const res = await get();
    await quiet(app);
    t.is(res.status, 200, who);
    const counts = proxy.counts();
    t.is(counts.roundTrips, expected, `${who}:\n${counts.statements.map((s) => s.sql).join('\n')}`);
  }
});

test('an autosave waits for 3 round trips: tenant and sign-in, the attempt with its question and the upsert in one statement, COMMIT', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['single']);
  const attempt = (await start(w, w.ann, quiz.id)).body.id as string;
  const question = quiz.questions.single?.id as string;
  const { proxy, app } = await proxiedPool();
  const port = await serve(app);
  const { config } = testEnv();
  const save = (option: string) =>
    send(port, config.baseDomain, w.school.slug, 'PUT', `/api/v1/quiz-attempts/${attempt}/answers/${question}`, {
      token: w.ann.token,
      body: { response: { option_id: option } },
    });
  t.is((await save('venus')).status, 200);
  await quiet(app);
  proxy.reset();
  const res = await save('jupiter');
  await quiet(app);
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body.response, { option_id: 'jupiter' });
  const counts = proxy.counts();
  t.is(counts.roundTrips, 3, counts.statements.map((s) => s.sql).join('\n'));
  t.regex(
    counts.statements[1]?.sql ?? '',
    /for share[\s\S]*insert into quiz_answers/i,
    'the attempt is read with its question, locked against a submit, and the answer written',
  );
});
