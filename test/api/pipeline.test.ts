// The request pipeline seen from outside: ids, problems, headers, hosts, health (OpenAPI: openapi.test.ts).
import test from 'ava';
import { allRoutes } from '../../api/app.ts';
import { setTenantStatus } from '../../api/platform/provision.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const PROBLEM = 'application/problem+json';

test('a sane X-Request-Id is echoed; anything else is replaced', async (t) => {
  const app = await startApp();
  const given = await app.request(null, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-12345-retry' } });
  t.is(given.headers['x-request-id'], 'abc-12345-retry');
  const insane = await app.request(null, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
  t.regex(String(insane.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('errors are problem documents with stable types and no stack traces', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const malformed = await app.request(school.slug, 'POST', '/api/v1/auth/login', { raw: '{"email":', headers: { 'content-type': 'application/json' } });
  t.is(malformed.status, 400);
  t.true(String(malformed.headers['content-type']).startsWith(PROBLEM));
  t.is(malformed.body.type, 'https://edify.app/problems/malformed-json');

  const wrongType = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    raw: 'email=a',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.is(wrongType.status, 415);
  t.is(wrongType.body.type, 'https://edify.app/problems/unsupported-media-type');

  const huge = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: 'a@b.test', password: 'x'.repeat(2_000_000) } });
  t.is(huge.status, 413);
  t.is(huge.body.type, 'https://edify.app/problems/payload-too-large');

  const invalid = await app.request(school.slug, 'POST', '/api/v1/classes', { token: school.admin.token, body: { name: '', extra: 1 } });
  t.is(invalid.status, 422);
  t.deepEqual(invalid.body.errors.map((e: { field: string }) => e.field).sort(), ['', 'name']);

  const missing = await app.request(school.slug, 'GET', '/api/v1/nothing-here');
  t.is(missing.status, 404);
  t.is(missing.body.type, 'https://edify.app/problems/not-found');

  const method = await app.request(school.slug, 'PUT', '/api/v1/classes', { token: school.admin.token, body: {} });
  t.is(method.status, 405);
  t.is(method.body.type, 'https://edify.app/problems/method-not-allowed');

  for (const r of [malformed, wrongType, huge, invalid, missing, method]) {
    t.truthy(r.body.request_id);
    t.notRegex(r.text, /at .*\.ts:\d+|node_modules/);
  }
});

test('a bad request changes nothing', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const before = await app.request(school.slug, 'GET', '/api/v1/classes', { token: school.admin.token });
  const bad = await app.request(school.slug, 'POST', '/api/v1/classes', {
    token: school.admin.token,
    body: { name: 'Art', term_start: '2026-09-01', term_end: '2026-01-01' },
  });
  t.is(bad.status, 422);
  t.deepEqual(bad.body.errors, [{ in: 'body', field: 'term_end', message: 'must not be before term_start' }]);
  const after = await app.request(school.slug, 'GET', '/api/v1/classes', { token: school.admin.token });
  t.deepEqual(after.body, before.body);
});

test('security headers are on every response', async (t) => {
  const app = await startApp();
  const res = await app.request(null, 'GET', '/');
  t.is(res.headers['x-content-type-options'], 'nosniff');
  t.is(res.headers['x-frame-options'], 'SAMEORIGIN');
  t.regex(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
  t.is(res.headers['strict-transport-security'], undefined, 'no HSTS outside production');
});

test('hosts: case, port and trailing dot are tolerated; unknown and foreign hosts are 404', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const variants = [`${school.slug.toUpperCase()}.LOCALHOST:${app.port}`, `${school.slug}.localhost.`, `${school.slug}.localhost`];
  for (const host of variants) {
    const res = await app.request(null, 'GET', '/api/v1/me', { host, token: school.admin.token });
    t.is(res.status, 200, host);
    t.is(res.body.email, school.admin.email);
  }
  t.is((await app.request('no-such-school', 'GET', '/')).status, 404);
  t.is((await app.request(null, 'GET', '/', { host: 'evil.example.com' })).status, 404);
  t.is((await app.request(null, 'GET', '/', { host: `a.${school.slug}.localhost` })).status, 404);
  // The apex serves the platform, not a school.
  t.is((await app.request(null, 'GET', '/api/v1/me', { token: school.admin.token })).status, 404);
});

test('X-Forwarded-Host is believed only with TRUST_PROXY', async (t) => {
  const school = await createSchool();
  const plain = await startApp();
  const ignored = await plain.request(null, 'GET', '/api/v1/me', { token: school.admin.token, headers: { 'x-forwarded-host': `${school.slug}.localhost` } });
  t.is(ignored.status, 404);
  const proxied = await startApp({ trustProxy: true });
  const believed = await proxied.request(null, 'GET', '/api/v1/me', { token: school.admin.token, headers: { 'x-forwarded-host': `${school.slug}.localhost` } });
  t.is(believed.status, 200);
});

test('a suspended school answers 403 with the reason, and works again when resumed', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const { dbs } = testEnv();
  await setTenantStatus(dbs.owner, school.slug, { status: 'suspended', reason: 'Invoice overdue' }, { label: 'test' });
  const res = await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token });
  t.is(res.status, 403);
  t.is(res.body.type, 'https://edify.app/problems/tenant-suspended');
  t.regex(res.body.detail, /Invoice overdue/);
  await setTenantStatus(dbs.owner, school.slug, { status: 'active' }, { label: 'test' });
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token })).status, 200);
});

test('/healthz and /readyz answer on every host', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  for (const host of [null, school.slug, 'unknown-school']) {
    t.deepEqual((await app.request(host, 'GET', '/healthz')).body, { status: 'ok' });
    const ready = await app.request(host, 'GET', '/readyz');
    t.is(ready.status, 200);
    t.like(ready.body, { status: 'ready', database: 'ok', migrations: { pending: [] }, worker: { required: false } });
  }
});

test('a route that changes something declares the action it performs, not read', (t) => {
  // Recording a read receipt is part of reading a notice: the one write that declares read.
  const readReceipts = new Set(['post /api/v1/notices/:id/read']);
  for (const route of allRoutes()) {
    if (route.method === 'get' || typeof route.access !== 'object' || readReceipts.has(`${route.method} ${route.path}`)) continue;
    t.not(route.access.action, 'read', `${route.method} ${route.path}`);
  }
});

test('every route declares its access, and non-public routes refuse anonymous callers', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  await createPerson(school, 'student');
  for (const route of allRoutes()) {
    t.truthy(route.access, `${route.method} ${route.path} declares access`);
    if (route.host !== 'tenant' || route.access === 'public') continue;
    const path = route.path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
    const body = route.form ? { raw: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : route.body ? { body: {} } : {};
    const res = await app.request(school.slug, route.method.toUpperCase(), path, body);
    if (route.page) {
      // Pages send a signed-out visitor to the sign-in form instead.
      t.is(res.status, 303, `${route.method} ${route.path}`);
      t.regex(String(res.headers.location), /^\/sign-in/);
      continue;
    }
    t.is(res.status, 401, `${route.method} ${route.path}`);
    t.is(res.headers['www-authenticate'], 'Bearer');
  }
});

test('when every database connection stays busy, requests get 503 with Retry-After, not 500', async (t) => {
  const { config } = testEnv();
  const { connect } = await import('../../api/db/connection.ts');
  // Long enough to open the first connection on a busy machine, short enough for a test.
  const pool = connect(config.appDatabaseUrl as string, 1, { acquireTimeoutMs: 2_000 });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The pool's only connection is taken by a transaction that waits (and has really started).
  let started: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const holding = pool.transaction(async () => {
    started();
    await held;
  });
  // If even the first connection cannot be opened in time, fail rather than wait forever.
  await Promise.race([running, holding]);
  try {
    const app = await startApp({}, { appPool: pool });
    const school = await createSchool();
    const res = await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token });
    t.is(res.status, 503);
    t.is(res.headers['retry-after'], '2');
    t.is(res.body.type, 'https://edify.app/problems/unavailable');
    release();
    await holding;
    t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token })).status, 200, 'and it recovers');
  } finally {
    release();
    await pool.destroy();
  }
});
