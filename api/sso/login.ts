// The browser side of SAML sign-in: start at the IdP (SP-initiated), and the assertion consumer
// service (ACS) that validates the IdP's answer through passport-saml's MultiSamlStrategy, makes
// the checks node-saml leaves to us, provisions the person and starts a browser session.
// Every outcome is recorded (sso_attempts, audit log, server log) with its precise reason; the
// person sees a plain page that says what to do, never XML or a stack.
import { MultiSamlStrategy, type Profile, SAML } from '@node-saml/passport-saml';
import type { Context } from 'koa';
import { KoaPassport } from 'koa-passport';
import type { AppDeps } from '../app-deps.ts';
import { audit } from '../audit/service.ts';
import { completeSignIn } from '../auth/complete-sign-in.ts';
import { schoolUrl } from '../config.ts';
import type { Scope } from '../scope.ts';
import { renderPage } from '../web/render.ts';
import { type Connection, findConnection } from './connections.ts';
import { identityFrom, provisionUser, type SamlProfile } from './provision.ts';
import { checkBeyondNodeSaml, samlOptions, ssoFailure } from './saml.ts';

type SamlState = { scope: Scope; connection: Connection; siteUrl: string; clockSkewMs: number };

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

/** A path on this same site only: never another host, scheme, or protocol-relative URL. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\r\n]/.test(value)) return '/';
  return value.slice(0, 500);
}

export async function startLogin(scope: Scope, deps: AppDeps, connectionId: string, returnTo: unknown, host: string): Promise<string> {
  const connection = await findConnection(scope, connectionId);
  if (!connection.enabled) throw ssoFailure('this connection is turned off');
  const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
  const saml = new SAML(samlOptions(scope, connection, siteUrl, deps.config.samlClockSkewMs));
  return saml.getAuthorizeUrlAsync(safeReturnTo(returnTo), host, {});
}

export async function spMetadata(scope: Scope, deps: AppDeps, connectionId: string): Promise<string> {
  const connection = await findConnection(scope, connectionId);
  const saml = new SAML(samlOptions(scope, connection, schoolUrl(deps.config, scope.tenant.slug), deps.config.samlClockSkewMs));
  return saml.generateServiceProviderMetadata(null, null);
}

function validateWithPassport(ctx: Context): Promise<SamlProfile> {
  return new Promise((resolve, reject) => {
    const run = passport.authenticate('saml', { session: false }, (error: unknown, profile: Profile | false, info: unknown) => {
      if (error) reject(error);
      else if (!profile) reject(ssoFailure(`the response was not accepted (${JSON.stringify(info ?? {})})`));
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
  try {
    if (!connection.enabled) throw ssoFailure('this connection is turned off');
    if (typeof body.SAMLResponse !== 'string' || body.SAMLResponse.length === 0) throw ssoFailure('no SAMLResponse was posted');
    ctx.state.saml = { scope, connection, siteUrl, clockSkewMs: deps.config.samlClockSkewMs } satisfies SamlState;
    const profile = await validateWithPassport(ctx);
    const assertionXml = typeof profile.getAssertionXml === 'function' ? (profile.getAssertionXml as () => string)() : '';
    await checkBeyondNodeSaml(scope, connection, siteUrl, body.SAMLResponse, assertionXml, profile.issuer as string | undefined);
    identity = identityFrom(connection, profile);
    const user = await provisionUser(scope, connection, identity);
    await completeSignIn(ctx, scope, deps, user, { mode: 'cookie', enrolmentOnly: false });
    await record(scope, connection, 'success', null, identity, user.id);
    return { redirect: safeReturnTo(body.RelayState) };
  } catch (error) {
    const reason = (error as { ssoReason?: string }).ssoReason ?? describeSamlError(error);
    ctx.state.log.warn({ connection_id: connection.id, reason }, 'SAML sign-in refused');
    await record(scope, connection, 'failure', reason, identity, null);
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

/** node-saml's errors, made readable for the attempts view (never the XML itself). */
function describeSamlError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/<[^>]*>/g, '').slice(0, 300) || 'the response could not be validated';
}

async function record(
  scope: Scope,
  connection: Connection,
  outcome: 'success' | 'failure',
  reason: string | null,
  identity: { subject: string; email: string } | undefined,
  userId: string | null,
): Promise<void> {
  await scope.db('sso_attempts').insert({
    tenant_id: scope.tenant.id,
    connection_id: connection.id,
    outcome,
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
      ...(reason ? { reason } : {}),
    },
  );
}
