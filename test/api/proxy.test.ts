// Behind proxies: only the X-Forwarded-For entries our own proxies appended are believed. A client
// writes whatever it likes to the left of them; rotating that part must change nothing.
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

// What one proxy passes on: the client's own header, then the address the proxy saw.
const chain = (spoofed: string, real: string) => ({ 'x-forwarded-for': `${spoofed}, ${real}` });

test('rotating a spoofed X-Forwarded-For entry does not escape the login limit (TRUST_PROXY_HOPS=1)', async (t) => {
  const app = await startApp({ trustProxy: true, proxyHops: 1 });
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const attempt = (spoofed: string, real = '203.0.113.7') =>
    app.request(school.slug, 'POST', '/api/v1/auth/login', { headers: chain(spoofed, real), body: { email: student.email, password: 'guess guess guess' } });
  for (let i = 0; i < 10; i++) t.is((await attempt(`198.51.100.${i}`)).status, 401);
  t.is((await attempt('198.51.100.99')).status, 429, 'a new spoofed entry is still the same client');
  t.is((await attempt('198.51.100.99', '203.0.113.8')).status, 401, 'another real client has its own counter');
});

test('rotating a spoofed entry does not escape the password-reset limit', async (t) => {
  const app = await startApp({ trustProxy: true, proxyHops: 1 });
  const school = await createSchool();
  const request = (spoofed: string) =>
    app.request(school.slug, 'POST', '/api/v1/auth/password-reset', { headers: chain(spoofed, '203.0.113.20'), body: { email: school.admin.email } });
  for (let i = 0; i < 5; i++) t.is((await request(`10.9.8.${i}`)).status, 202);
  t.is((await request('10.9.8.77')).status, 429);
});

test('the session, the audit log and the limits all record the one resolved address', async (t) => {
  const app = await startApp({ trustProxy: true, proxyHops: 1 });
  const school = await createSchool();
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    headers: chain('1.2.3.4', '203.0.113.30'),
    body: { email: school.admin.email, password: PASSWORD },
  });
  t.is(login.status, 200);
  const sessions = await app.request(school.slug, 'GET', '/api/v1/me/sessions', { token: login.body.access_token });
  t.deepEqual(
    sessions.body.data.filter((s: { id: string }) => s.id === login.body.session_id).map((s: { ip: string }) => s.ip),
    ['203.0.113.30'],
  );
  const events = await withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('audit_events').where({ action: 'auth.login' }).pluck('ip'));
  t.deepEqual(events, ['203.0.113.30']);
});

test('TRUSTED_PROXIES: the right-most address outside our proxies is the client', async (t) => {
  const app = await startApp({ trustProxy: true, proxyHops: undefined, trustedProxies: ['loopback', '10.0.0.0/8'] });
  const school = await createSchool();
  // client (wrote "6.6.6.6") → edge proxy 10.0.0.2 (appended the client) → load balancer on loopback (appended the edge)
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.40, 10.0.0.2' },
    body: { email: school.admin.email, password: PASSWORD },
  });
  t.is(login.status, 200);
  const sessions = await app.request(school.slug, 'GET', '/api/v1/me/sessions', { token: login.body.access_token });
  t.is(sessions.body.data.find((s: { id: string }) => s.id === login.body.session_id)?.ip, '198.51.100.40');
});

test('without TRUST_PROXY the header is ignored: the socket address counts', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    headers: chain('1.2.3.4', '203.0.113.31'),
    body: { email: school.admin.email, password: PASSWORD },
  });
  const sessions = await app.request(school.slug, 'GET', '/api/v1/me/sessions', { token: login.body.access_token });
  t.is(sessions.body.data.find((s: { id: string }) => s.id === login.body.session_id)?.ip, '127.0.0.1');
});
