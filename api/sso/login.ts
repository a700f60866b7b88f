// The browser side of SAML sign-in: start at the IdP (SP-initiated), and the assertion consumer
// service (ACS) that validates the IdP's answer through passport-saml's MultiSamlStrategy, makes
// the checks node-saml leaves to us, provisions the person and starts a browser session.
// Every outcome is recorded (sso_attempts, audit log, server log) with its precise reason; the
// person sees a plain page that says what to do, never XML or a stack.
import type { Profile } from '@node-saml/passport-saml';
import type { Context } from 'koa';
import { KoaPassport } from 'koa-passport';
import type { AppDeps } from '../app-deps.ts';
import { audit } from '../audit/service.ts';
import { completeSignIn } from '../auth/complete-sign-in.ts';
import { schoolUrl } from '../config.ts';
import { boundedLine } from '../content/safe-text.ts';
import { forbidden } from '../errors.ts';
import { lazy } from '../lazy.ts';
import type { Scope } from '../scope.ts';
import { renderPage } from '../web/render.ts';
import { type Connection, findConnection } from './connections.ts';
import { type InspectedResponse, inspectSamlResponse } from './prepass.ts';
import { identityFrom, provisionUser, type SamlProfile } from './provision.ts';
import { isSsoFailure, reasonFromError, type SsoFailure, type SsoReasonCode, ssoFailure } from './reasons.ts';
import { checkBeyondNodeSaml, samlOptions } from './saml.ts';

type SamlState = { scope: Scope; connection: Connection; siteUrl: string; clockSkewMs: number };

/** node-saml and its XML stack load with the first SSO request (api/lazy.ts): most API processes
 * of a school without SSO never need them. */
const samlLibrary = lazy(async () => {
  const { MultiSamlStrategy, SAML } = await import('@node-saml/passport-saml');
  const passport = new KoaPassport();
  passport.use(
    'saml',
    new MultiSamlStrategy(
      {
        passReqToCallback: true,
        getSamlOptions: (req, done) => {
          const state = (req as unknown as { ctx: Context }).ctx.state.saml as SamlState;
          done(null, samlOptions(state.scope, state.connection, state.siteUrl, state.clockSkewMs));
        },
      },
      (_req, profile, done) => done(null, profile as unknown as Record<string, unknown>),
      (_req, _profile, done) => done(null, undefined),
    ) as unknown as Parameters<typeof passport.use>[1],
  );
  return { passport, SAML };
});

/** A path on this same site only: never another host, scheme, or protocol-relative URL. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\r\n]/.test(value)) return '/';
  return value.slice(0, 500);
}

export async function startLogin(scope: Scope, deps: AppDeps, connectionId: string, returnTo: unknown, host: string): Promise<string> {
  const connection = await findConnection(scope, connectionId);
  try {
    if (!connection.enabled) throw ssoFailure('connection_disabled');
    const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
    const { SAML } = await samlLibrary();
    const saml = new SAML(samlOptions(scope, connection, siteUrl, deps.config.samlClockSkewMs));
    return await saml.getAuthorizeUrlAsync(safeReturnTo(returnTo), host, {});
  } catch (error) {
    // A connection that cannot be used is the school's to fix: a 403 that says so, not a 500.
    if (isSsoFailure(error)) throw forbidden(`Single sign-on through this connection is unavailable: ${error.ssoReason}.`);
    throw error;
  }
}

export async function spMetadata(scope: Scope, deps: AppDeps, connectionId: string): Promise<string> {
  const connection = await findConnection(scope, connectionId);
  const { SAML } = await samlLibrary();
  const saml = new SAML(samlOptions(scope, connection, schoolUrl(deps.config, scope.tenant.slug), deps.config.samlClockSkewMs));
  return saml.generateServiceProviderMetadata(null, null);
}

async function validateWithPassport(ctx: Context): Promise<SamlProfile> {
  const { passport } = await samlLibrary();
  return new Promise((resolve, reject) => {
    const run = passport.authenticate('saml', { session: false }, (error: unknown, profile: Profile | false) => {
      if (error) reject(error);
      else if (!profile) reject(ssoFailure('unrecognised'));
      else resolve(profile as unknown as SamlProfile);
    });
    Promise.resolve(run(ctx, async () => {})).catch(reject);
  });
}

export type AcsResult = { redirect: string } | { html: string; status: number };

export async function consumeAssertion(ctx: Context, scope: Scope, deps: AppDeps, connectionId: string): Promise<AcsResult> {
  const connection = await findConnection(scope, connectionId);
  const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
  const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
  let identity: ReturnType<typeof identityFrom> | undefined;
  let inspected: InspectedResponse | undefined;
  try {
    if (!connection.enabled) throw ssoFailure('connection_disabled');
    if (typeof body.SAMLResponse !== 'string' || body.SAMLResponse.length === 0) throw ssoFailure('no_response');
    // Before node-saml sees it: bounded depth and size, UTF-8 XML, no DOCTYPE (prepass.ts).
    inspected = inspectSamlResponse(body.SAMLResponse);
    ctx.state.saml = { scope, connection, siteUrl, clockSkewMs: deps.config.samlClockSkewMs } satisfies SamlState;
    const profile = await validateWithPassport(ctx);
    const assertionXml = typeof profile.getAssertionXml === 'function' ? (profile.getAssertionXml as () => string)() : '';
    await checkBeyondNodeSaml(scope, connection, siteUrl, inspected.xml, assertionXml, profile.issuer as string | undefined);
    identity = identityFrom(connection, profile);
    const user = await provisionUser(scope, connection, identity);
    await completeSignIn(ctx, scope, deps, user, { mode: 'cookie', enrolmentOnly: false });
    await record(scope, connection, { outcome: 'success' }, identity, user.id);
    return { redirect: safeReturnTo(body.RelayState) };
  } catch (error) {
    const failure = reasonFromError(error, { times: inspected?.times, nowMs: Date.now(), skewMs: deps.config.samlClockSkewMs });
    // An error no rule recognises keeps its (escaped, bounded) message in the server log for the operator.
    const cause = failure.ssoCode === 'unrecognised' ? boundedLine(error instanceof Error ? `${error.name}: ${error.message}` : String(error), 300) : undefined;
    ctx.state.log.warn({ connection_id: connection.id, reason_code: failure.ssoCode, reason: failure.ssoReason, cause }, 'SAML sign-in refused');
    await record(scope, connection, { outcome: 'failure', failure }, identity, null);
    return {
      status: 401,
      html: renderPage('sso-error', {
        title: 'Sign-in did not work',
        school: { name: scope.tenant.name },
        connection: { name: connection.name },
        reference: ctx.state.requestId,
      }),
    };
  }
}

/** One attempt in sso_attempts and the audit log: a reason code and the documented reason with
 * an escaped, bounded detail (api/sso/reasons.ts), never a library's or the response's own text. */
async function record(
  scope: Scope,
  connection: Connection,
  result: { outcome: 'success' } | { outcome: 'failure'; failure: SsoFailure },
  identity: { subject: string; email: string } | undefined,
  userId: string | null,
): Promise<void> {
  const { outcome } = result;
  const reasonCode: SsoReasonCode | null = result.outcome === 'failure' ? result.failure.ssoCode : null;
  const reason = result.outcome === 'failure' ? result.failure.ssoReason : null;
  await scope.db('sso_attempts').insert({
    tenant_id: scope.tenant.id,
    connection_id: connection.id,
    outcome,
    reason_code: reasonCode,
    reason,
    subject: identity?.subject ?? null,
    email: identity?.email ?? null,
    user_id: userId,
    request_id: scope.request?.id ?? null,
  });
  await audit(
    scope,
    outcome === 'success' ? 'sso.login' : 'sso.login_failed',
    userId ? { type: 'user', id: userId } : { type: 'saml_connection', id: connection.id },
    {
      connection_id: connection.id,
      ...(reason ? { reason_code: reasonCode, reason } : {}),
    },
  );
}
