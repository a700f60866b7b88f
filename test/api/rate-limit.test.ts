// Brute force meets 429s, in memory and through Redis shared by two API processes.
import test from 'ava';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

test('login brute force on one account is cut off with 429, Retry-After and RateLimit headers', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const attempt = () => app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email, password: 'guess guess guess' } });
  for (let i = 0; i < 10; i++) {
    const res = await attempt();
    t.is(res.status, 401);
    t.is(res.headers['ratelimit-limit'], '10');
    t.is(res.headers['ratelimit-remaining'], String(9 - i));
  }
  const limited = await attempt();
  t.is(limited.status, 429);
  t.true(String(limited.headers['content-type']).startsWith('application/problem+json'));
  t.is(limited.body.type, 'https://edify.app/problems/rate-limited');
  t.true(Number(limited.headers['retry-after']) > 0);
  t.true(Number(limited.headers['ratelimit-reset']) <= 15 * 60);
  // Another account at the same school is not locked out by this.
  const other = await createPerson(school, 'student');
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: other.email, password: 'guess guess guess' } })).status, 401);
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
