// The school side of an SSO test: a school with a SAML connection to the test IdP
// (test/helpers/saml-idp.ts), sign-ins started and answered through HTTP, and the reason an attempt
// was refused (docs/sso.md). Shared by test/sso/flow.test.ts and test/sso/refusals.test.ts.
import type { ExecutionContext } from 'ava';
import { createConnection } from '../../api/sso/connections.ts';
import { SSO_REASONS, type SsoReasonCode } from '../../api/sso/reasons.ts';
import { createSchool, inSchool, type School } from './factories.ts';
import { type Client, startApp } from './http.ts';
import { buildSamlResponse, idpMetadata, keyPair, readAuthnRequest, type SamlResponseOptions } from './saml-idp.ts';

export const IDP = 'https://idp.district.test/saml';
export const SSO = 'https://idp.district.test/sso';

export type Setup = { app: Client; school: School; connectionId: string; spEntityId: string; acsUrl: string };

export async function setup(settings: Record<string, unknown> = {}, existing?: { app?: Client; school?: School }): Promise<Setup> {
  const app = existing?.app ?? (await startApp());
  const school = existing?.school ?? (await createSchool());
  const metadata = idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [keyPair('idp').cert, keyPair('idp-next').cert] });
  const connection = await inSchool(school, (scope) =>
    createConnection(scope, metadata, {
      name: 'Springfield District',
      role_attribute: 'eduPersonAffiliation',
      role_map: { faculty: 'teacher', student: 'student' },
      default_role: 'deny',
      allowed_domains: ['district.test'],
      ...settings,
    }),
  );
  const listed = await app.request(school.slug, 'GET', '/api/v1/sso/connections', { token: school.admin.token });
  const view = listed.body.data.find((c: { id: string }) => c.id === connection.id);
  return { app, school, connectionId: connection.id, spEntityId: view.sp_entity_id, acsUrl: view.acs_url };
}

/** SP-initiated start: returns the AuthnRequest the browser carries to the IdP. */
export async function startLogin(s: Setup, returnTo = '/classes') {
  const res = await s.app.request(s.school.slug, 'GET', `/auth/saml/${s.connectionId}/login?return_to=${encodeURIComponent(returnTo)}`);
  if (res.status !== 302) throw new Error(`login answered ${res.status}: ${res.text}`);
  return readAuthnRequest(String(res.headers.location));
}

export function responseFor(s: Setup, request: { id: string } | undefined, overrides: Partial<SamlResponseOptions> = {}): string {
  return buildSamlResponse({
    issuer: IDP,
    destination: s.acsUrl,
    audience: s.spEntityId,
    inResponseTo: request?.id,
    nameId: 'tess@district.test',
    attributes: { email: 'tess@district.test', firstName: 'Tess', lastName: 'Teacher', eduPersonAffiliation: ['member', 'faculty'] },
    ...overrides,
  });
}

export function post(s: Setup, samlResponse: string, relayState = '/classes', school = s.school) {
  const raw = new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString();
  return s.app.request(school.slug, 'POST', `/auth/saml/${s.connectionId}/acs`, { raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

export async function lastAttempt(s: Setup): Promise<{ reason_code: string | null; reason: string | null }> {
  const res = await s.app.request(s.school.slug, 'GET', `/api/v1/sso/connections/${s.connectionId}/attempts`, { token: s.school.admin.token });
  return res.body.data[0] ?? { reason_code: null, reason: null };
}

/** Refused with the documented reason for `code` (docs/sso.md), and `detail` after it when given. */
export async function refused(t: ExecutionContext, s: Setup, samlResponse: string, code: SsoReasonCode, detail?: RegExp) {
  const res = await post(s, samlResponse);
  t.is(res.status, 401);
  t.regex(res.text, /Sign-in did not work/);
  t.notRegex(res.text, /<saml|Assertion|at .*\.ts:/, 'no XML or stack in the page');
  t.is(res.headers['set-cookie'], undefined, 'no session');
  const attempt = await lastAttempt(s);
  t.is(attempt.reason_code, code);
  t.true(attempt.reason?.startsWith(SSO_REASONS[code]), `${attempt.reason} starts with the documented reason`);
  if (detail) t.regex(attempt.reason ?? '', detail);
}
