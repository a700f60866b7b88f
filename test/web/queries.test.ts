// No N+1 on pages: the statements a page sends to PostgreSQL, counted on the wire (the same
// proxy as the round-trip tests), do not grow with the class. A class of 30 students who all
// handed in costs exactly what a class of 3 does, and each page is one tenant session.
import test from 'ava';
import type { Knex } from 'knex';
import type { PgProxy } from '../../bench/lib/pg-proxy.ts';
import { createClassIn, createPerson, createSchool, type Person, type School } from '../helpers/factories.ts';
import { type Client, startApp } from '../helpers/http.ts';
import { proxiedPool, quiet } from '../perf/wire.ts';

async function classWith(app: Client, school: School, teacher: Person, size: number) {
  const students = await Promise.all(Array.from({ length: size }, (_, i) => createPerson(school, 'student', { first_name: `S${i}` })));
  const klass = await createClassIn(school, { teachers: [teacher], students }, `Class of ${size}`);
  const hw = await app.request(school.slug, 'POST', `/api/v1/classes/${klass.id}/homework`, {
    token: teacher.token,
    body: { title: 'Essay', points: 10, due_at: new Date(Date.now() + 86_400_000).toISOString(), publish_at: 'now' },
  });
  for (const s of students) {
    const handedIn = await app.request(school.slug, 'PUT', `/api/v1/homework/${hw.body.id}/submission`, { token: s.token, body: { body: `Work of ${s.id}` } });
    if (handedIn.status !== 200) throw new Error(`hand-in: ${handedIn.status} ${handedIn.text}`);
  }
  await app.request(school.slug, 'POST', `/api/v1/classes/${klass.id}/notices`, {
    token: teacher.token,
    body: { title: 'Hello', body: 'Welcome', publish_at: 'now' },
  });
  return { klass, homeworkId: hw.body.id as string, first: students[0] as Person };
}

async function statementsFor(proxy: PgProxy, pool: Knex, fetch: () => Promise<{ status: number }>): Promise<string[]> {
  await quiet(pool);
  proxy.reset();
  const res = await fetch();
  if (res.status !== 200) throw new Error(`page answered ${res.status}`);
  await quiet(pool);
  return proxy.counts().statements.map((s) => s.sql);
}

test('teacher pages cost the same for 3 students as for 30, in one tenant session each', async (t) => {
  const { proxy, app: pool } = await proxiedPool();
  const app = await startApp({}, { appPool: pool });
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const small = await classWith(app, school, teacher, 3);
  const large = await classWith(app, school, teacher, 30);
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    body: { email: teacher.email, password: 'correct horse battery', session: 'cookie' },
  });
  const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0] as string;
  const get = (path: string) => () => app.request(school.slug, 'GET', path, { headers: { cookie, accept: 'text/html' } });

  for (const [name, path] of [
    ['class page', (c: typeof small) => `/classes/${c.klass.id}`],
    ['homework page', (c: typeof small) => `/homework/${c.homeworkId}`],
    ['grading view', (c: typeof small) => `/homework/${c.homeworkId}/submissions/${c.first.id}`],
  ] as const) {
    const few = await statementsFor(proxy, pool, get(path(small)));
    const many = await statementsFor(proxy, pool, get(path(large)));
    t.is(many.length, few.length, `${name}: ${few.length} statements for 3 students, ${many.length} for 30`);
    t.is(few.filter((sql) => /^\s*begin/i.test(sql)).length, 1, `${name}: one tenant session`);
  }
});
