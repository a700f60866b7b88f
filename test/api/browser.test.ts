// What browsers see: host-only session cookies with CSRF protection, and CORS per school.
import test from 'ava';
import { createPerson, createSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { testClock } from '../helpers/quizzes.ts';

test('cookie sign-in: host-only HttpOnly SameSite=Lax cookie, and unsafe requests need the CSRF token', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: PASSWORD, session: 'cookie' } });
  t.is(login.status, 200);
  t.false('access_token' in login.body);
  const setCookie = String(login.headers['set-cookie']?.[0]);
  t.regex(setCookie, /^edify_session=[A-Za-z0-9_-]{43};/);
  t.regex(setCookie, /httponly/i);
  t.regex(setCookie, /samesite=lax/i);
  t.regex(setCookie, /path=\//i);
  t.notRegex(setCookie, /domain=/i, 'host-only: never sent to another school');
  t.notRegex(setCookie, /secure/i, 'plain http on localhost');
  const cookie = setCookie.split(';')[0] as string;

  const me = await app.request(school.slug, 'GET', '/api/v1/me', { headers: { cookie } });
  t.is(me.status, 200);
  t.is(me.body.id, teacher.id);
  const noCsrf = await app.request(school.slug, 'POST', '/api/v1/classes', { headers: { cookie }, body: { name: 'Art' } });
  t.is(noCsrf.status, 403);
  t.regex(noCsrf.body.detail, /X-CSRF-Token/);
  const forged = await app.request(school.slug, 'POST', '/api/v1/classes', { headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, body: { name: 'Art' } });
  t.is(forged.status, 403);
  const ok = await app.request(school.slug, 'POST', '/api/v1/classes', { headers: { cookie, 'x-csrf-token': login.body.csrf_token }, body: { name: 'Art' } });
  t.is(ok.status, 201);
  t.is((await app.request(school.slug, 'GET', '/api/v1/auth/csrf', { headers: { cookie } })).body.csrf_token, login.body.csrf_token);

  // The cookie means nothing at another school.
  const other = await createSchool();
  t.is((await app.request(other.slug, 'GET', '/api/v1/me', { headers: { cookie } })).status, 401);

  const out = await app.request(school.slug, 'POST', '/api/v1/auth/logout', { headers: { cookie, 'x-csrf-token': login.body.csrf_token } });
  t.is(out.status, 204);
  t.regex(String(out.headers['set-cookie']?.[0]), /^edify_session=;.*expires=Thu, 01 Jan 1970/i);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { headers: { cookie } })).status, 401);
});

test('behind HTTPS the cookie is Secure and uses the __Host- prefix', async (t) => {
  const app = await startApp({ trustProxy: true });
  const school = await createSchool();
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    headers: { 'x-forwarded-proto': 'https' },
    body: { email: school.admin.email, password: PASSWORD, session: 'cookie' },
  });
  const setCookie = String(login.headers['set-cookie']?.[0]);
  t.regex(setCookie, /^__Host-edify_session=/);
  t.regex(setCookie, /secure/i);
  t.notRegex(setCookie, /domain=/i);
});

test('CORS: no cross-origin access until a school admin lists the origin', async (t) => {
  const clock = testClock();
  const app = await startApp({}, { clock: () => clock.now });
  const school = await createSchool();
  const origin = 'https://portal.example.org';
  const preflight = () =>
    app.request(school.slug, 'OPTIONS', '/api/v1/classes', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
  const refused = await preflight();
  t.is(refused.status, 403);
  t.is(refused.headers['access-control-allow-origin'], undefined);
  const plain = await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token, headers: { origin } });
  t.is(plain.headers['access-control-allow-origin'], undefined, 'the browser may not read it');

  const bad = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { cors_origins: ['*'] } });
  t.is(bad.status, 422);
  const set = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { cors_origins: [origin] } });
  t.deepEqual(set.body.settings.cors_origins, [origin]);
  clock.advance(6); // the per-process cache lives 5 s: move time, do not wait
  const allowed = await preflight();
  t.is(allowed.status, 204);
  t.is(allowed.headers['access-control-allow-origin'], origin);
  t.is(allowed.headers['access-control-allow-credentials'], 'true');
  t.regex(String(allowed.headers.vary), /Origin/);
  const read = await app.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token, headers: { origin } });
  t.is(read.headers['access-control-allow-origin'], origin);
  const elsewhere = await createSchool();
  const otherSchool = await app.request(elsewhere.slug, 'OPTIONS', '/api/v1/classes', { headers: { origin, 'access-control-request-method': 'POST' } });
  t.is(otherSchool.status, 403, 'one school’s list does not open another school');
  const teacher = await createPerson(school, 'teacher');
  t.is((await app.request(school.slug, 'PATCH', '/api/v1/school', { token: teacher.token, body: { cors_origins: [] } })).status, 403);
});
