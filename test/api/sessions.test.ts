// Refresh-token sessions: rotation, theft detection, sign-out here and elsewhere, lockout.
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, PASSWORD, signInAs } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { queuedEmails } from '../helpers/jobs.ts';
import { waitForMail } from '../helpers/mail.ts';

const auditActions = (tenantId: string) => withTenant(testEnv().dbs.app, { id: tenantId }, (db) => db('audit_events').orderBy('occurred_at').pluck('action'));

test('a refresh token works once and rotates; replaying a used one revokes the whole family', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const login = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email, password: PASSWORD } });
  t.is(login.status, 200);
  const first = login.body;

  const rotated = await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: first.refresh_token } });
  t.is(rotated.status, 200);
  t.not(rotated.body.refresh_token, first.refresh_token);
  t.is(rotated.body.session_id, first.session_id);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: rotated.body.access_token })).status, 200);

  // An attacker replays the stolen, already-used token: refused, and the legitimate chain dies too.
  const replay = await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: first.refresh_token } });
  t.is(replay.status, 401);
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: rotated.body.refresh_token } })).status, 401);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: rotated.body.access_token })).status, 401, 'access tokens of the family stop at once');
  t.true((await auditActions(school.tenant.id)).includes('auth.refresh_token_reused'));
});

test('a refresh token from school A is useless at school B', async (t) => {
  const app = await startApp();
  const a = await createSchool();
  const b = await createSchool();
  const pair = await signInAs(a, a.admin.id);
  const res = await app.request(b.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } });
  t.is(res.status, 401);
  t.is((await app.request(a.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status, 200);
});

test('logout ends this session only; the device list can end another', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const laptop = await signInAs(school, teacher.id);
  const phone = await signInAs(school, teacher.id);
  const list = await app.request(school.slug, 'GET', '/api/v1/me/sessions', { token: laptop.access_token });
  t.is(list.status, 200);
  const ids = list.body.data.map((s: { id: string }) => s.id);
  t.true(ids.includes(laptop.session_id) && ids.includes(phone.session_id));
  t.true(list.body.data.find((s: { id: string }) => s.id === laptop.session_id).current);

  t.is((await app.request(school.slug, 'DELETE', `/api/v1/me/sessions/${phone.session_id}`, { token: laptop.access_token })).status, 204);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: phone.access_token })).status, 401);
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: phone.refresh_token } })).status, 401);

  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/logout', { token: laptop.access_token })).status, 204);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: laptop.access_token })).status, 401);

  // Someone else's session id is simply not found.
  const other = await signInAs(school, school.admin.id);
  const mine = await signInAs(school, teacher.id);
  t.is((await app.request(school.slug, 'DELETE', `/api/v1/me/sessions/${other.session_id}`, { token: mine.access_token })).status, 404);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: other.access_token })).status, 200);
});

test('an admin signs a user out everywhere, and deactivation locks them out at once', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const one = await signInAs(school, teacher.id);
  const two = await signInAs(school, teacher.id);
  const out = await app.request(school.slug, 'POST', `/api/v1/users/${teacher.id}/sign-out`, { token: school.admin.token });
  t.is(out.status, 204);
  for (const pair of [one, two]) {
    t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: pair.access_token })).status, 401);
    t.is((await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status, 401);
  }
  const three = await signInAs(school, teacher.id);
  const deactivated = await app.request(school.slug, 'PATCH', `/api/v1/users/${teacher.id}`, { token: school.admin.token, body: { status: 'deactivated' } });
  t.is(deactivated.status, 200);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: three.access_token })).status, 401);
  t.is((await app.request(school.slug, 'POST', `/api/v1/users/${teacher.id}/sign-out`, { token: teacher.token })).status, 401);
  const student = await createPerson(school, 'student');
  t.is((await app.request(school.slug, 'POST', `/api/v1/users/${teacher.id}/sign-out`, { token: student.token })).status, 403);
});

test('a role change is audited with old and new role and applies on the next request', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  t.is((await app.request(school.slug, 'POST', '/api/v1/classes', { token: teacher.token, body: { name: 'Art' } })).status, 201);
  const changed = await app.request(school.slug, 'PATCH', `/api/v1/users/${teacher.id}`, { token: school.admin.token, body: { role: 'student' } });
  t.is(changed.body.role, 'student');
  t.is((await app.request(school.slug, 'POST', '/api/v1/classes', { token: teacher.token, body: { name: 'Art 2' } })).status, 403);
  const [event] = await withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) =>
    db('audit_events').where({ action: 'user.role_changed' }).select('details'),
  );
  t.deepEqual(event.details, { from: 'teacher', to: 'student' });
  const self = await app.request(school.slug, 'PATCH', `/api/v1/users/${school.admin.id}`, { token: school.admin.token, body: { role: 'teacher' } });
  t.is(self.status, 409, 'an admin cannot demote themselves and lock the school out');
});

test('repeated failures pause sign-in from that address; an admin can clear it', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const attempt = (password: string) => app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email, password } });
  for (let i = 0; i < 5; i++) t.is((await attempt('wrong password!')).status, 401);
  const paused = await attempt(PASSWORD);
  t.is(paused.status, 401, 'even the right password waits out the pause');
  t.is(paused.body.detail, (await attempt('nope nope nope')).body.detail, 'the answer does not reveal the pause');
  t.true((await auditActions(school.tenant.id)).includes('auth.sign_in_paused'));
  t.is((await app.request(school.slug, 'POST', `/api/v1/users/${student.id}/unlock`, { token: school.admin.token })).status, 204);
  t.is((await attempt(PASSWORD)).status, 200);
});

test('new passwords must not be among the most common ones', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  for (const password of ['password123', 'Password123!', 'qwertyuiop']) {
    const res = await app.request(school.slug, 'POST', '/api/v1/users', {
      token: school.admin.token,
      body: { email: `${password.length}x@y.test`, first_name: 'A', last_name: 'B', role: 'teacher', password },
    });
    t.is(res.status, 422, password);
    t.regex(res.body.errors[0].message, /most common passwords/);
  }
});

test('signing in from a new device emails the person; the same device does not', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const signIn = (agent: string) =>
    app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: PASSWORD }, headers: { 'user-agent': agent } });
  t.is((await signIn('Laptop Firefox')).status, 200);
  t.is((await signIn('Laptop Firefox')).status, 200);
  t.is((await signIn('Phone Safari')).status, 200);
  // The factory's own session counts as the first device, so both new agents are news, once each.
  // Queued with the sign-ins themselves: exactly two, known now, with no waiting for a third.
  t.is(await queuedEmails(teacher.email, 'new-sign-in'), 2);
  const all = (await waitForMail(MAIL_DIR, teacher.email, { count: 2 })).filter((m) => m.template === 'new-sign-in');
  t.deepEqual(
    all.map((m) => (/Laptop Firefox|Phone Safari/.exec(m.text) ?? [''])[0]),
    ['Laptop Firefox', 'Phone Safari'],
  );
});
