// TOTP two-factor through HTTP: enrol, sign in with a code, no code reuse, recovery codes,
// brute force, the school's requirement, and an admin's reset.
import test from 'ava';
import { totpCodeAt } from '../../api/auth/totp.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, PASSWORD, type School } from '../helpers/factories.ts';
import { type Client, MAIL_DIR, startApp } from '../helpers/http.ts';
import { waitForMail } from '../helpers/mail.ts';

async function enrol(app: Client, school: School, token: string) {
  const started = await app.request(school.slug, 'POST', '/api/v1/me/two-factor', { token });
  const secret = started.body.secret as string;
  const at = Date.now();
  const confirmed = await app.request(school.slug, 'POST', '/api/v1/me/two-factor/confirm', { token, body: { code: totpCodeAt(secret, at) } });
  return { started, confirmed, secret, at };
}

const login = (app: Client, school: School, email: string) => app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });

test('enrol with a QR code, then password sign-in asks for a code that works once', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const { started, confirmed, secret, at } = await enrol(app, school, teacher.token);
  t.regex(started.body.otpauth_uri, /^otpauth:\/\/totp\/.*secret=/);
  t.regex(started.body.qr_code, /^data:image\/png;base64,/);
  t.is(confirmed.status, 200);
  t.is(confirmed.body.recovery_codes.length, 10);
  const stored = await withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('two_factor').where({ user_id: teacher.id }).first());
  t.false(stored.secret_sealed.includes(secret), 'the secret is encrypted at rest');
  t.is((await waitForMail(MAIL_DIR, teacher.email))[0]?.template, 'two-factor-changed');

  const first = await login(app, school, teacher.email);
  t.true(first.body.two_factor_required);
  t.false('access_token' in first.body);
  // The challenge is signed like an access token but for another audience: it opens nothing.
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: first.body.challenge_token })).status, 401);
  // The code used to confirm enrolment never works again; the next step's code (clock drift) does, once.
  const sameStep = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', {
    body: { challenge_token: first.body.challenge_token, code: totpCodeAt(secret, at) },
  });
  const next = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', {
    body: { challenge_token: first.body.challenge_token, code: totpCodeAt(secret, at + 30_000) },
  });
  t.is(sameStep.status, 401, 'a code is not accepted twice in its step');
  t.is(next.status, 200, 'the next step’s code (clock drift) works');
  t.truthy(next.body.access_token);
  const replay = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', {
    body: { challenge_token: first.body.challenge_token, code: totpCodeAt(secret, at + 30_000) },
  });
  t.is(replay.status, 401, 'the same code again is rejected');
});

test('a recovery code works once in place of a code', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const { confirmed } = await enrol(app, school, student.token);
  const [recovery] = confirmed.body.recovery_codes as string[];
  const challenge = (await login(app, school, student.email)).body.challenge_token;
  const ok = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', {
    body: { challenge_token: challenge, recovery_code: recovery?.toUpperCase() },
  });
  t.is(ok.status, 200);
  const again = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: challenge, recovery_code: recovery } });
  t.is(again.status, 401);
});

test('guessing second-factor codes meets 429', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  await enrol(app, school, student.token);
  const challenge = (await login(app, school, student.email)).body.challenge_token;
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    statuses.push(
      (await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: challenge, code: String(100000 + i) } })).status,
    );
  }
  // One allowance per account for every code check: enrolment's confirm spent the first.
  t.deepEqual(statuses.slice(0, 9), Array(9).fill(401));
  t.deepEqual(statuses.slice(9), [429, 429]);
});

test('a school can require 2FA for staff: until they enrol, only enrolment answers', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  const set = await app.request(school.slug, 'PATCH', '/api/v1/school', { token: school.admin.token, body: { require_two_factor: true } });
  t.is(set.status, 200);
  t.true(set.body.settings.require_two_factor);

  const signedIn = await login(app, school, teacher.email);
  t.true(signedIn.body.two_factor_enrolment_required);
  const token = signedIn.body.access_token;
  const blocked = await app.request(school.slug, 'GET', '/api/v1/classes', { token });
  t.is(blocked.status, 403);
  t.is(blocked.body.type, 'https://edify.app/problems/two-factor-enrolment-required');
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token })).status, 200);
  t.is((await enrol(app, school, token)).confirmed.status, 200);
  t.is((await app.request(school.slug, 'GET', '/api/v1/classes', { token })).status, 200, 'enrolled: the session is complete');

  const studentLogin = await login(app, school, student.email);
  t.false(studentLogin.body.two_factor_enrolment_required, 'students are not required');
  const off = await app.request(school.slug, 'POST', '/api/v1/me/two-factor/disable', { token, body: { code: '123456' } });
  t.is(off.status, 409, 'required 2FA cannot be turned off');
});

test('an admin resets a lost device, which is audited; others cannot', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  await enrol(app, school, teacher.token);
  const student = await createPerson(school, 'student');
  t.is((await app.request(school.slug, 'DELETE', `/api/v1/users/${teacher.id}/two-factor`, { token: student.token })).status, 403);
  t.is((await app.request(school.slug, 'DELETE', `/api/v1/users/${teacher.id}/two-factor`, { token: school.admin.token })).status, 204);
  const after = await login(app, school, teacher.email);
  t.truthy(after.body.access_token, 'password alone works again');
  const actions = await withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('audit_events').pluck('action'));
  t.true(actions.includes('auth.two_factor_reset'));
});

test('junk second-factor calls from one address do not block another account’s 2FA setup', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const victim = await createPerson(school, 'teacher');
  // Tokens that do not decode, tokens signed with someone else's key naming the victim, invalid bodies.
  const forged = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: victim.id })).toString('base64url')}.c2ln`;
  for (let i = 0; i < 10; i++) {
    t.is(
      (await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: `junk-${i}-that-does-not-decode`, code: '123456' } }))
        .status,
      401,
    );
    t.is((await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: forged, code: '123456' } })).status, 401);
    t.is((await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: forged } })).status, 422);
  }
  const { confirmed } = await enrol(app, school, victim.token);
  t.is(confirmed.status, 200, 'the victim enrols from the same address');
});

test('2FA confirm guesses are limited per signed-in account, not per address', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const guesser = await createPerson(school, 'teacher');
  const other = await createPerson(school, 'teacher');
  await app.request(school.slug, 'POST', '/api/v1/me/two-factor', { token: guesser.token });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) {
    statuses.push((await app.request(school.slug, 'POST', '/api/v1/me/two-factor/confirm', { token: guesser.token, body: { code: '000000' } })).status);
  }
  t.deepEqual(statuses, [...Array(10).fill(422), 429]);
  t.is((await enrol(app, school, other.token)).confirmed.status, 200, 'a colleague at the same address is not limited');
});

test('wrong codes and wrong passwords are counted apart', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const { secret } = await enrol(app, school, student.token);
  const challenge = async () => (await login(app, school, student.email)).body.challenge_token as string;
  const token = await challenge();
  for (let i = 0; i < 5; i++) {
    t.is((await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', { body: { challenge_token: token, code: '000000' } })).status, 401);
  }
  const refused = await app.request(school.slug, 'POST', '/api/v1/auth/two-factor', {
    body: { challenge_token: token, code: totpCodeAt(secret, Date.now() + 30_000) },
  });
  t.is(refused.status, 401, 'codes from this address are paused, even the right one');
  t.truthy(await challenge(), 'the password still works: wrong codes do not pause it');
  const wrongPassword = () => app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: student.email, password: 'wrong password!' } });
  for (let i = 0; i < 4; i++) t.is((await wrongPassword()).status, 401);
  t.truthy(await challenge(), 'four wrong passwords (fewer than the pause needs) after five wrong codes do not add up to a pause');
});
