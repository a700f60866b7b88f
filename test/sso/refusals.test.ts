// Why a sign-in was refused, as school IT reads it (docs/sso.md): the documented reason and a
// reason code, never text from the response itself; the pre-pass that bounds a response before the
// SAML library parses it; and the refusals the suite used to leave untested (an expired IdP
// certificate, no Destination and no Recipient).
import { deflateRawSync } from 'node:zlib';
import test from 'ava';
import { SSO_REASONS, type SsoReasonCode } from '../../api/sso/reasons.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { inSchool } from '../helpers/factories.ts';
import { decodeSamlResponse, duplicateSignedInfo, keyPair, withNestedExtensions } from '../helpers/saml-idp.ts';
import { lastAttempt, post, refused, responseFor, type Setup, setup, startLogin } from '../helpers/sso-flow.ts';

const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
const FORGED_ROW = '\n2026-01-01T00:00:00.000Z  success  admin@district.test\nIdP certificate rotated: re-import metadata from https://evil.test';

async function auditReasons(s: Setup): Promise<{ reason_code?: string; reason?: string }[]> {
  const rows = await withTenant(testEnv().dbs.app, { id: s.school.tenant.id }, (db) =>
    db('audit_events').where({ action: 'sso.login_failed' }).orderBy('occurred_at', 'desc').select('details'),
  );
  return rows.map((r: { details: { reason_code?: string; reason?: string } }) => r.details);
}

test('an unsigned error Response cannot forge rows: its StatusMessage is escaped, marked unsigned and bounded', async (t) => {
  const s = await setup();
  const forged = responseFor(s, await startLogin(s), { sign: 'none', status: { code: RESPONDER, message: `Account disabled${FORGED_ROW}${'x'.repeat(500)}` } });
  await refused(t, s, forged, 'idp_error', /^the IdP answered with an error status: Responder, unsigned message "Account disabled\\n2026-01-01/);
  const { reason } = await lastAttempt(s);
  t.false(/[\n\r]/.test(reason ?? ''), 'no line breaks stored');
  t.true((reason ?? '').length <= SSO_REASONS.idp_error.length + 2 + 200);
  const [audited] = await auditReasons(s);
  t.is(audited?.reason_code, 'idp_error');
  t.is(audited?.reason, reason ?? undefined);
});

test('an ESC byte in a StatusMessage or a deflated SAMLResponse stores no raw bytes, only the reason', async (t) => {
  const s = await setup();
  const withEsc = responseFor(s, await startLogin(s), { sign: 'none', status: { code: RESPONDER, message: 'x\u001b]0;owned\u0007\u001b[2J' } });
  await refused(t, s, withEsc, 'malformed', /not well-formed XML \(line \d+, column \d+\)$/);
  const deflated = deflateRawSync(Buffer.from(decodeSamlResponse(responseFor(s, await startLogin(s))))).toString('base64');
  await refused(t, s, deflated, 'malformed', /not UTF-8 text/);
  for (const { reason } of [await lastAttempt(s), ...(await auditReasons(s))]) t.regex(reason ?? '', /^[\x20-\x7e]+$/, 'printable ASCII only');
});

test('100,000 nested elements in samlp:Extensions are refused by the pre-pass, before node-saml reads the response', async (t) => {
  const s = await setup();
  const request = await startLogin(s);
  const bomb = withNestedExtensions(responseFor(s, request), 100_000);
  t.true(bomb.length > 700_000 && bomb.length < 1_000_000, 'under the form limit');
  await refused(t, s, bomb, 'too_complex', /more than 32 levels of nesting/);
  // node-saml forgets the request ID whenever it refuses a response; the pre-pass refused alone,
  // so the real answer to the same request still signs in.
  t.is((await post(s, responseFor(s, request))).status, 302);
});

test('documented reasons: an assertion expired on every clock, XSW and a duplicated SignedInfo', async (t) => {
  const s = await setup();
  // As a captured old response is: Conditions and SubjectConfirmationData both past.
  await refused(t, s, responseFor(s, await startLogin(s), { now: new Date(Date.now() - 20 * 60_000) }), 'expired');
  await refused(t, s, duplicateSignedInfo(responseFor(s, await startLogin(s))), 'invalid_signature');
  t.notRegex((await lastAttempt(s)).reason ?? '', /transforms/);
  await refused(t, s, duplicateSignedInfo(responseFor(s, await startLogin(s), { sign: 'both' })), 'invalid_signature');
  t.notRegex((await lastAttempt(s)).reason ?? '', /transforms/);
});

test('a response with neither Destination nor Recipient is refused', async (t) => {
  const s = await setup();
  await refused(t, s, responseFor(s, await startLogin(s), { omit: ['destination', 'recipient'] }), 'destination_missing');
  t.is((await post(s, responseFor(s, await startLogin(s), { omit: ['destination'] }))).status, 302, 'the Recipient alone names the ACS URL');
});

test('a response signed with an expired IdP certificate is refused, even when the metadata lists it', async (t) => {
  const s = await setup();
  await inSchool(s.school, (scope) =>
    scope
      .db('saml_connections')
      .where({ id: s.connectionId })
      .update({ certificates: JSON.stringify([keyPair('idp').cert, keyPair('expired').cert]) }),
  );
  await refused(t, s, responseFor(s, await startLogin(s), { signWith: 'expired' }), 'invalid_signature');
  t.is((await post(s, responseFor(s, await startLogin(s)))).status, 302, 'the current certificate still works');
});

test('a connection whose certificates have all expired refuses sign-in with that reason (403 at login, not 500)', async (t) => {
  const s = await setup();
  const request = await startLogin(s);
  await inSchool(s.school, (scope) =>
    scope
      .db('saml_connections')
      .where({ id: s.connectionId })
      .update({ certificates: JSON.stringify([keyPair('expired').cert]) }),
  );
  await refused(t, s, responseFor(s, request, { signWith: 'expired' }), 'certificates_expired');
  const login = await s.app.request(s.school.slug, 'GET', `/auth/saml/${s.connectionId}/login`);
  t.is(login.status, 403);
  t.regex(login.body.detail, /every IdP signing certificate of this connection has expired/);
});

test('docs/sso.md lists every reason code with the reason shown, and nothing else', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/sso.md', import.meta.url), 'utf8');
  const documented = new Map([...doc.matchAll(/^\|[^|\n]*\| `([a-z_]+)` \| (`[^`]+`) \|$/gm)].map((m) => [m[1], m[2]]));
  t.deepEqual([...documented.keys()].sort(), Object.keys(SSO_REASONS).sort());
  for (const [code, shown] of documented) t.is(shown, `\`${SSO_REASONS[code as SsoReasonCode]}\``, code);
});
