import test from 'ava';
import { createPerson, createSchool, PASSWORD, signInAs } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { readMail, tokenFromMail, waitForMail } from '../helpers/mail.ts';

test('reset by email: same answer for unknown addresses, single use, and it signs out everywhere', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const session = await signInAs(school, teacher.id);

  const known = await app.request(school.slug, 'POST', '/api/v1/auth/password-reset', { body: { email: teacher.email } });
  const unknown = await app.request(school.slug, 'POST', '/api/v1/auth/password-reset', { body: { email: 'ghost@nowhere.test' } });
  t.is(known.status, 202);
  t.deepEqual(unknown.body, known.body);
  t.is(unknown.status, 202);

  const [mail] = await waitForMail(MAIL_DIR, teacher.email);
  t.is(mail?.template, 'password-reset');
  t.regex(mail?.text ?? '', new RegExp(`http://${school.slug}\\.localhost:\\d+/reset-password\\?token=`));
  t.deepEqual(await readMail(MAIL_DIR, 'ghost@nowhere.test'), []);
  const token = tokenFromMail(mail);

  const weak = await app.request(school.slug, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'password1' } });
  t.is(weak.status, 422, 'the new password follows the password rules');
  const done = await app.request(school.slug, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'a brand new passphrase' } });
  t.is(done.status, 204);
  t.is((await app.request(school.slug, 'GET', '/api/v1/me', { token: session.access_token })).status, 401, 'old sessions end');
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: session.refresh_token } })).status, 401);

  const again = await app.request(school.slug, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'yet another passphrase' } });
  t.is(again.status, 422);
  t.is(again.body.errors[0].field, 'token');
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: PASSWORD } })).status, 401);
  t.is((await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: 'a brand new passphrase' } })).status, 200);
});

test('a reset token from one school does nothing at another', async (t) => {
  const app = await startApp();
  const a = await createSchool();
  const b = await createSchool();
  const teacher = await createPerson(a, 'teacher');
  await app.request(a.slug, 'POST', '/api/v1/auth/password-reset', { body: { email: teacher.email } });
  const token = tokenFromMail((await waitForMail(MAIL_DIR, teacher.email))[0]);
  const res = await app.request(b.slug, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'a brand new passphrase' } });
  t.is(res.status, 422);
});
