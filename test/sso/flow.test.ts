// SAML single sign-on end to end through HTTP: the school's SP (node-saml via passport-saml's
// MultiSamlStrategy) against a real signing IdP (test/helpers/saml-idp.ts). Every attack is its
// own test and must leave a precise reason in the attempts list.
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, inSchool } from '../helpers/factories.ts';
import { changeAttributeAfterSigning, wrapWithUnsignedAssertion } from '../helpers/saml-idp.ts';
import { lastAttempt, post, refused, responseFor, setup, startLogin } from '../helpers/sso-flow.ts';

test('SP-initiated sign-in: redirect, signed response, ACS, a session with the mapped role', async (t) => {
  const s = await setup();
  const request = await startLogin(s);
  t.is(request.acsUrl, s.acsUrl);
  t.is(request.issuer, s.spEntityId);
  t.is(request.relayState, '/classes');
  const res = await post(s, responseFor(s, request));
  t.is(res.status, 302);
  t.is(res.headers.location, '/classes');
  const cookie = String(res.headers['set-cookie']?.[0]).split(';')[0] as string;
  const me = await s.app.request(s.school.slug, 'GET', '/api/v1/me', { headers: { cookie } });
  t.like(me.body, { email: 'tess@district.test', first_name: 'Tess', role: 'teacher', status: 'active' });
  const attempts = await s.app.request(s.school.slug, 'GET', `/api/v1/sso/connections/${s.connectionId}/attempts`, { token: s.school.admin.token });
  t.like(attempts.body.data[0], { outcome: 'success', email: 'tess@district.test' });

  // A later sign-in follows the IdP: the role changes with the attribute.
  const again = await startLogin(s);
  t.is(
    (await post(s, responseFor(s, again, { attributes: { email: 'tess@district.test', firstName: 'Tess', lastName: 'T', eduPersonAffiliation: 'student' } })))
      .status,
    302,
    JSON.stringify(await lastAttempt(s)),
  );
  t.is((await s.app.request(s.school.slug, 'GET', '/api/v1/me', { headers: { cookie } })).body.role, 'student');
});

test('SP metadata names this school’s ACS URL and a stable entity ID', async (t) => {
  const s = await setup();
  const res = await s.app.request(s.school.slug, 'GET', `/auth/saml/${s.connectionId}/metadata`);
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /samlmetadata\+xml/);
  t.true(res.text.includes(`entityID="${s.spEntityId}"`));
  t.true(res.text.includes(`Location="${s.acsUrl}"`));
  t.true(s.acsUrl.startsWith(`http://${s.school.slug}.localhost:`));
});

test('return_to is limited to this site', async (t) => {
  const s = await setup();
  for (const evil of ['https://evil.example/', '//evil.example/x']) {
    const request = await startLogin(s, evil);
    t.is(request.relayState, '/');
  }
  const request = await startLogin(s);
  const res = await post(s, responseFor(s, request), 'https://evil.example/phish');
  t.is(res.headers.location, '/');
});

test('rejects an unsigned assertion', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, await startLogin(s), { sign: 'none' }), 'invalid_signature');
});

test('rejects a response signed by an unknown certificate', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, await startLogin(s), { signWith: 'attacker' }), 'invalid_signature');
});

test('accepts the rotated key listed in the metadata', async (t) => {
  const s = await setup();
  t.is((await post(s, responseFor(s, await startLogin(s), { signWith: 'idp-next' }))).status, 302);
});

test('rejects an attribute changed after signing', async (t) => {
  const s = await setup();
  await refused(t, s, changeAttributeAfterSigning(responseFor(s, await startLogin(s)), 'eduPersonAffiliation', 'faculty-admin'), 'invalid_signature');
});

for (const variant of ['before', 'inside', 'extensions'] as const) {
  test(`rejects XML signature wrapping (${variant})`, async (t) => {
    const s = await setup();
    const signed = responseFor(s, await startLogin(s), {
      nameId: 'kid@district.test',
      attributes: { email: 'kid@district.test', eduPersonAffiliation: 'student' },
    });
    await refused(
      t,
      s,
      wrapWithUnsignedAssertion(
        signed,
        { nameId: 'tess@district.test', attributes: { email: 'tess@district.test', eduPersonAffiliation: 'faculty' } },
        variant,
      ),
      'invalid_signature',
    );
    t.notRegex((await lastAttempt(s)).reason ?? '', /transforms/);
  });
}

test('rejects school B’s assertion posted to school A, even from the same district IdP', async (t) => {
  const a = await setup();
  const b = await setup({}, { app: a.app });
  const forB = responseFor(b, await startLogin(a), { destination: a.acsUrl, recipient: a.acsUrl });
  await refused(t, a, forB, 'audience_mismatch');
  t.true((await lastAttempt(a)).reason?.endsWith(`: it names ${b.spEntityId}, not ${a.spEntityId}`));
});

test('rejects a wrong Destination and a wrong Recipient', async (t) => {
  const s = await setup();
  await refused(
    t,
    s,
    responseFor(s, await startLogin(s), { destination: 'https://elsewhere.test/acs', recipient: s.acsUrl }),
    'destination_mismatch',
    /it is https:\/\/elsewhere\.test\/acs/,
  );
  await refused(
    t,
    s,
    responseFor(s, await startLogin(s), { recipient: 'https://elsewhere.test/acs' }),
    'recipient_mismatch',
    /it is https:\/\/elsewhere\.test\/acs/,
  );
});

test('rejects an assertion from another IdP entity', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, await startLogin(s), { issuer: 'https://other-idp.test' }), 'issuer_mismatch', /issued by https:\/\/other-idp\.test/);
});

test('rejects an expired assertion and one not yet valid (2 minutes of skew)', async (t) => {
  const s = await setup();
  const now = Date.now();
  await refused(t, s, responseFor(s, await startLogin(s), { notBefore: new Date(now - 20 * 60_000), notOnOrAfter: new Date(now - 3 * 60_000) }), 'expired');
  await refused(
    t,
    s,
    responseFor(s, await startLogin(s), { notBefore: new Date(now + 3 * 60_000), notOnOrAfter: new Date(now + 10 * 60_000) }),
    'not_yet_valid',
  );
  const skewed = responseFor(s, await startLogin(s), { notBefore: new Date(now + 60_000), notOnOrAfter: new Date(now + 10 * 60_000) });
  t.is((await post(s, skewed)).status, 302, 'a minute of clock skew is tolerated');
});

test('rejects a replayed response', async (t) => {
  const s = await setup({ allow_idp_initiated: true });
  const response = responseFor(s, undefined);
  t.is((await post(s, response)).status, 302);
  await refused(t, s, response, 'replay');
});

test('rejects an unknown InResponseTo and a reused one', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, { id: '_not-issued-by-us' }), 'in_response_to_invalid');
  const request = await startLogin(s);
  t.is((await post(s, responseFor(s, request))).status, 302);
  await refused(t, s, responseFor(s, request), 'in_response_to_invalid');
});

test('IdP-initiated sign-in is refused unless the connection allows it', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, undefined), 'in_response_to_missing');
  await s.app.request(s.school.slug, 'PATCH', `/api/v1/sso/connections/${s.connectionId}`, {
    token: s.school.admin.token,
    body: { allow_idp_initiated: true },
  });
  t.is((await post(s, responseFor(s, undefined))).status, 302);
});

test('an unmapped role is denied when the default is deny', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, await startLogin(s), { attributes: { email: 'tess@district.test', eduPersonAffiliation: 'alum' } }), 'no_role');
});

test('an email outside the allowed domains is refused', async (t) => {
  const s = await setup();
  await refused(
    t,
    s,
    responseFor(s, await startLogin(s), { nameId: 'tess@gmail.test', attributes: { email: 'tess@gmail.test', eduPersonAffiliation: 'faculty' } }),
    'domain_not_allowed',
    /: gmail\.test$/,
  );
});

test('a person deactivated in Edify stays out; an invited person is linked by email', async (t) => {
  const s = await setup();
  const gone = await createPerson(s.school, 'teacher', { email: 'gone@district.test' });
  await inSchool(s.school, (scope) => scope.db('users').where({ id: gone.id }).update({ status: 'deactivated' }));
  await refused(
    t,
    s,
    responseFor(s, await startLogin(s), { nameId: 'gone@district.test', attributes: { email: 'gone@district.test', eduPersonAffiliation: 'faculty' } }),
    'deactivated',
  );
  const invite = await s.app.request(s.school.slug, 'POST', '/api/v1/users/invitations', {
    token: s.school.admin.token,
    body: { email: 'new@district.test', first_name: 'New', last_name: 'Kid', role: 'student' },
  });
  const res = await post(
    s,
    responseFor(s, await startLogin(s), { nameId: 'new@district.test', attributes: { email: 'new@district.test', eduPersonAffiliation: 'student' } }),
  );
  t.is(res.status, 302);
  const user = await withTenant(testEnv().dbs.app, { id: s.school.tenant.id }, (db) => db('users').where({ id: invite.body.user.id }).first());
  t.is(user.status, 'active', 'the invited account was linked and activated');
});

test('seat limits apply to people created at first sign-in', async (t) => {
  const s = await setup();
  await testEnv().dbs.owner('tenants').where({ id: s.school.tenant.id }).update({ seat_limit: 0 });
  await refused(t, s, responseFor(s, await startLogin(s)), 'no_seats');
});

test('SSO required: passwords stop working except for an admin’s break-glass password with 2FA', async (t) => {
  const s = await setup();
  const teacher = await createPerson(s.school, 'teacher');
  await s.app.request(s.school.slug, 'PATCH', '/api/v1/school', { token: s.school.admin.token, body: { sso_required: true } });
  const { PASSWORD } = await import('../helpers/factories.ts');
  const refusedLogin = await s.app.request(s.school.slug, 'POST', '/api/v1/auth/login', { body: { email: teacher.email, password: PASSWORD } });
  t.is(refusedLogin.status, 403);
  t.is(refusedLogin.body.type, 'https://edify.app/problems/sso-required');
  const adminWithout2fa = await s.app.request(s.school.slug, 'POST', '/api/v1/auth/login', { body: { email: s.school.admin.email, password: PASSWORD } });
  t.is(adminWithout2fa.status, 403);
  const { totpCodeAt } = await import('../../api/auth/totp.ts');
  const started = await s.app.request(s.school.slug, 'POST', '/api/v1/me/two-factor', { token: s.school.admin.token });
  await s.app.request(s.school.slug, 'POST', '/api/v1/me/two-factor/confirm', {
    token: s.school.admin.token,
    body: { code: totpCodeAt(started.body.secret, Date.now()) },
  });
  const breakGlass = await s.app.request(s.school.slug, 'POST', '/api/v1/auth/login', { body: { email: s.school.admin.email, password: PASSWORD } });
  t.is(breakGlass.status, 200);
  t.true(breakGlass.body.two_factor_required);
  t.is((await post(s, responseFor(s, await startLogin(s)))).status, 302, 'SSO still works');
});
