// Brute force meets 429s, in memory and through Redis shared by two API processes.
import test from 'ava';
import { createPerson, createSchool, PASSWORD, type Person, schoolApi } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

test('login brute force on one account is cut off with 429, Retry-After and RateLimit headers', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const { request } = schoolApi(app, school);
  const attempt = (who: Person) => request(null, 'POST', '/api/v1/auth/login', { email: who.email, password: 'guess guess guess' });
  for (let i = 0; i < 10; i++) {
    const res = await attempt(student);
    t.is(res.status, 401);
    t.is(res.headers['ratelimit-limit'], '10');
    t.is(res.headers['ratelimit-remaining'], String(9 - i));
  }
  const limited = await attempt(student);
  t.is(limited.status, 429);
  t.true(String(limited.headers['content-type']).startsWith('application/problem+json'));
  t.is(limited.body.type, 'https://edify.app/problems/rate-limited');
  t.true(Number(limited.headers['retry-after']) > 0);
  t.true(Number(limited.headers['ratelimit-reset']) <= 15 * 60);
  // Another account at the same school is not locked out by this.
  const other = await createPerson(school, 'student');
  t.is((await attempt(other)).status, 401);
});

test('with REDIS_URL the counters are shared by every API process', async (t) => {
  const one = await startApp({ redisUrl: REDIS_URL });
  const two = await startApp({ redisUrl: REDIS_URL });
  const school = await createSchool();
  const body = { refresh_token: 'x'.repeat(43) };
  let last = 0;
  for (let i = 0; i < 60; i++) {
    const app = i % 2 === 0 ? one : two;
    last = (await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body })).status;
    t.is(last, 401);
  }
  const limited = await one.request(school.slug, 'POST', '/api/v1/auth/refresh', { body });
  t.is(limited.status, 429);
  t.is((await two.request(school.slug, 'POST', '/api/v1/auth/refresh', { body })).status, 429);
  // A separate memory-only process keeps its own counters.
  const alone = await startApp();
  t.is((await alone.request(school.slug, 'POST', '/api/v1/auth/refresh', { body })).status, 401);
});

// Sends `count` requests, a few at a time (fewer than the test pool's connections), and returns
// their statuses in order.
async function burst(count: number, send: (i: number) => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, count - i) }, (_, j) => send(i + j)));
    statuses.push(...batch.map((r) => r.status));
  }
  return statuses;
}

test('the login limit counts an email however it is capitalised', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const variants = (i: number) => [...student.email].map((c, j) => ((i >> (j % 8)) & 1 ? c.toUpperCase() : c)).join('');
  for (let i = 0; i < 10; i++) {
    t.is((await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: ` ${variants(i)} `, password: 'guess guess guess' } })).status, 401);
  }
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email.toUpperCase(), password: 'guess' } })).status, 429);
});

test('loginSpray: one address trying many accounts meets 100 per 15 minutes', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  // Limits count attempts before their input is checked: an empty password costs no hashing here.
  const statuses = await burst(101, (i) => app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: `n${i}@spray.test`, password: '' } }));
  t.deepEqual([...new Set(statuses.slice(0, 100))], [422]);
  t.is(statuses[100], 429);
  const limited = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: school.admin.email, password: PASSWORD } });
  t.is(limited.status, 429, 'any account, from that address');
  t.is(limited.headers['ratelimit-limit'], '100');
});

test('resetRequest: five reset emails per address and email per hour', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const { request } = schoolApi(app, school);
  const reset = (email: string) => request(null, 'POST', '/api/v1/auth/password-reset', { email });
  for (let i = 0; i < 5; i++) t.is((await reset(school.admin.email.toUpperCase())).status, 202);
  t.is((await reset(school.admin.email)).status, 429);
  t.is((await reset('someone-else@x.test')).status, 202, 'another address of mail is counted apart');
});

test('inviteAccept: invitation and reset tokens share 20 guesses per address per hour', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const token = (i: number) => `not-a-real-token-${String(i).padStart(4, '0')}-xxxxxxxxxxxxxxxx`;
  const statuses = await burst(20, (i) =>
    app.request(school.slug, 'POST', '/api/v1/auth/invitations/accept', { body: { token: token(i), password: PASSWORD } }),
  );
  t.false(statuses.includes(429), JSON.stringify(statuses));
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/invitations/accept', { body: { token: token(99), password: PASSWORD } })).status, 429);
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token: token(98), password: PASSWORD } })).status, 429);
});

test.serial('writes: 300 unsafe requests per token per minute; another token is counted apart', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const { request } = schoolApi(app, school);
  const post = (who: Person) => request(who, 'POST', '/api/v1/classes', {});
  const statuses = await burst(301, () => post(school.admin));
  t.deepEqual([...new Set(statuses.slice(0, 300))], [422]);
  t.is(statuses[300], 429);
  t.is((await post(teacher)).status, 422);
  t.is((await request(school.admin, 'GET', '/api/v1/me')).status, 200, 'reads are not writes');
});

test.serial('perToken: 1,200 requests per token per minute', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const { get } = schoolApi(app, school);
  const read = (who: Person) => get(who, '/api/v1/search?q=');
  const statuses = await burst(1201, () => read(school.admin));
  t.deepEqual([...new Set(statuses.slice(0, 1200))], [422]);
  t.is(statuses[1200], 429);
  t.is((await read(teacher)).status, 422, 'another token is counted apart');
});
