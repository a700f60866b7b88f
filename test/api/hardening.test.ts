// The request pipeline's answers to hostile or broken input: NUL bytes, unknown schools, the
// session cookie's name, and a genuine fault (500 without internals, logged with its stack).
import { Writable } from 'node:stream';
import test from 'ava';
import { pino } from 'pino';
import { toAppError } from '../../api/http/problem.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('a NUL character in a body field or a query answers 422 naming the field, not 500', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const body = await app.request(school.slug, 'POST', '/api/v1/classes', { token: school.admin.token, body: { name: 'Art\u0000class' } });
  t.is(body.status, 422);
  t.deepEqual(body.body.errors, [{ in: 'body', field: 'name', message: 'must not contain a NUL character (\\u0000)' }]);
  const query = await app.request(school.slug, 'GET', '/api/v1/search?q=art%00class', { token: school.admin.token });
  t.is(query.status, 422);
  t.deepEqual(
    query.body.errors.map((e: { in: string; field: string }) => [e.in, e.field]),
    [['query', 'q']],
  );
  // Anywhere in the body, also in a field the schema does not read, and in keys.
  const nested = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: 'a@b.test', password: ['x', 'y\u0000'] } });
  t.is(nested.status, 422);
  t.deepEqual(
    nested.body.errors.map((e: { field: string }) => e.field),
    ['password.1'],
  );
  const key = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: 'a@b.test', password: 'x', 'n\u0000': 1 } });
  t.is(key.status, 422);
});

test('a NUL character the database refuses still maps to 422', async (t) => {
  const { dbs } = testEnv();
  for (const sql of ['select ?::text as v', 'select ?::jsonb as v']) {
    const value = sql.includes('jsonb') ? JSON.stringify({ a: 'x\u0000' }) : 'x\u0000';
    const error = await dbs.owner.raw(sql, [value]).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.truthy(error, sql);
    t.is(toAppError(error).status, 422, sql);
  }
});

test('an unknown school answers 404 to every request, signed in or not; a real one 401', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  for (const [method, path] of [
    ['GET', '/api/v1/me'],
    ['POST', '/api/v1/classes'],
    ['GET', '/api/v1/classes'],
    ['POST', '/api/v1/auth/login'],
  ] as const) {
    const unknown = await app.request('no-such-school-here', method, path, { body: method === 'POST' ? {} : undefined });
    t.is(unknown.status, 404, `${method} ${path}`);
  }
  t.is((await app.request('no-such-school-here', 'GET', '/api/v1/me', { token: school.admin.token })).status, 404);
  const anonymous = await app.request(school.slug, 'POST', '/api/v1/classes', { body: { name: 1 } });
  t.is(anonymous.status, 401, 'a protected route still tells an anonymous caller nothing about its input');
  t.is(anonymous.body.errors, undefined);
});

test('over HTTPS (and in production) only the __Host- cookie opens the session', async (t) => {
  const app = await startApp({ trustProxy: true });
  const school = await createSchool();
  const https = { 'x-forwarded-proto': 'https' };
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    headers: https,
    body: { email: school.admin.email, password: PASSWORD, session: 'cookie' },
  });
  const value = /^__Host-edify_session=([^;]+)/.exec(String(login.headers['set-cookie']?.[0]))?.[1];
  t.truthy(value);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { headers: { ...https, cookie: `__Host-edify_session=${value}` } })).status, 200);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { headers: { ...https, cookie: `edify_session=${value}` } })).status, 401);
  const production = await startApp({ env: 'production' });
  t.is((await production.request(school.slug, 'GET', '/api/v1/me', { headers: { cookie: `edify_session=${value}` } })).status, 401);
  t.is((await production.request(school.slug, 'GET', '/api/v1/me', { headers: { cookie: `__Host-edify_session=${value}` } })).status, 200);
});

test('a genuine fault answers a bare 500; the log line carries the stack, the body nothing internal', async (t) => {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  // The fault: a dependency (the clock) that throws, as a broken library or a bug would.
  let broken = false;
  const clock = () => {
    if (broken) throw new Error('injected fault: clock unavailable at /srv/edify/internal.ts');
    return new Date();
  };
  const app = await startApp({}, { clock, log: pino({ level: 'error' }, sink) });
  const school = await createSchool();
  broken = true;
  const res = await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token });
  broken = false;
  t.is(res.status, 500);
  t.deepEqual(Object.keys(res.body).sort(), ['detail', 'instance', 'request_id', 'status', 'title', 'type']);
  t.is(res.body.type, 'https://edify.app/problems/internal');
  t.notRegex(res.text, /injected fault|internal\.ts|\bat\s|Error:/);
  const logged = lines.find((l) => l.msg === 'request failed');
  t.is(logged?.request_id, res.body.request_id);
  t.regex(String(logged?.err?.stack), /injected fault[\s\S]*\n\s+at /);
});
