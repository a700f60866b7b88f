import test from 'ava';
import { SignJWT } from 'jose';
import { keyId } from '../../api/auth/tokens.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, inSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('password login returns a short-lived token that works for /me', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email.toUpperCase(), password: PASSWORD } });
  t.is(login.status, 200);
  t.is(login.body.token_type, 'Bearer');
  t.is(login.body.expires_in, 900);
  t.is(login.headers['cache-control'], 'no-store');
  const me = await app.request(school.slug, 'GET', '/api/v1/me', { token: login.body.access_token });
  t.is(me.status, 200);
  t.like(me.body, { id: teacher.id, email: teacher.email, role: 'teacher' });
  t.false('password_hash' in me.body);
});

test('failed logins answer the same whether or not the account exists, and are audited', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const wrong = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email, password: 'not the password' } });
  const unknown = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: 'nobody@nowhere.test', password: 'not the password' } });
  t.is(wrong.status, 401);
  t.is(unknown.status, 401);
  t.is(wrong.body.detail, unknown.body.detail);
  t.is(wrong.body.type, unknown.body.type);
  const { dbs } = testEnv();
  const events = await withTenant(dbs.app, { id: school.tenant.id }, (db) => db('audit_events').where({ action: 'auth.login_failed' }).orderBy('occurred_at'));
  t.deepEqual(
    events.map((e) => e.details.reason),
    ['wrong_password', 'unknown_email'],
  );
  t.false(JSON.stringify(events).includes('not the password'), 'passwords never reach the audit log');
});

test('a deactivated user’s token stops working at once, and so does a deleted user’s', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: teacher.token })).status, 200);
  await inSchool(school, (scope) => scope.db('users').where({ id: teacher.id }).update({ status: 'deactivated' }));
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: teacher.token })).status, 401);
  await inSchool(school, (scope) => scope.db('users').where({ id: student.id }).delete());
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: student.token })).status, 401);
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: PASSWORD } });
  t.is(login.status, 401, 'a deactivated user cannot sign in');
});

test('a role change applies on the next request', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  t.is((await app.request(school.slug, 'POST', '/api/v1/classes', { token: teacher.token, body: { name: 'Art' } })).status, 201);
  await inSchool(school, (scope) => scope.db('users').where({ id: teacher.id }).update({ role: 'student' }));
  t.is((await app.request(school.slug, 'POST', '/api/v1/classes', { token: teacher.token, body: { name: 'Art 2' } })).status, 403);
});

test('expired, tampered and foreign-signed tokens are refused', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const { config } = testEnv();
  const secret = config.signingSecrets[0] as string;
  const key = new TextEncoder().encode(secret);
  const base = () =>
    new SignJWT({ sid: '00000000-0000-4000-8000-000000000000' })
      .setProtectedHeader({ alg: 'HS256', kid: keyId(secret) })
      .setIssuer('edify')
      .setAudience(`edify:school:${school.tenant.id}`)
      .setSubject(school.admin.id);
  const expired = await base().setIssuedAt(1_000).setExpirationTime(2_000).sign(key);
  const otherKey = await base()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('x'.repeat(40)));
  const tampered = `${school.admin.token.slice(0, -4)}AAAA`;
  for (const token of [expired, otherKey, tampered, 'not-a-jwt']) {
    const res = await app.request(school.slug, 'GET', '/api/v1/me', { token });
    t.is(res.status, 401);
    t.is(res.body.type, 'https://edify.app/problems/unauthenticated');
  }
});

test('signing-key rotation: old tokens verify while the old key is listed as previous, new ones use the new key', async (t) => {
  const school = await createSchool();
  const { config } = testEnv();
  const old = config.signingSecrets[0] as string;
  const fresh = `${'n'.repeat(10)}ew-signing-secret-for-rotation-test-0123456789`;
  const rotated = await startApp({ signingSecrets: [fresh, old] });
  t.is((await rotated.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token })).status, 200, 'a token signed with the old key still works');
  const login = await rotated.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: school.admin.email, password: PASSWORD } });
  const header = JSON.parse(Buffer.from(String(login.body.access_token).split('.')[0] as string, 'base64url').toString());
  t.is(header.kid, keyId(fresh));
  const retired = await startApp({ signingSecrets: [fresh] });
  t.is((await retired.request(school.slug, 'GET', '/api/v1/me', { token: school.admin.token })).status, 401, 'once the old key is removed, its tokens stop');
  t.is((await retired.request(school.slug, 'GET', '/api/v1/me', { token: login.body.access_token })).status, 200);
});
