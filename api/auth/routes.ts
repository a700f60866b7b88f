// Password login (api/auth/login.ts), token refresh and sign-out, and the signed-in user's own
// profile and sessions.
import { z } from 'zod';
import { schoolUrl } from '../config.ts';
import { bodyField, LIMITS } from '../http/rate-limit.ts';
import { tenantRoute } from '../http/route.ts';
import { userView } from '../users/schema.ts';
import { getUser, presentUser } from '../users/service.ts';
import { setSessionCookie } from './complete-sign-in.ts';
import { signInWithPassword } from './login.ts';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.ts';
import { loginInput, loginResult, refreshInput, resetConfirmInput, resetRequestInput, sessionView, tokenView } from './schema.ts';
import { csrfToken, endOwnSession, listOwnSessions, refreshSession } from './sessions.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };
const sessionParams = z.object({ id: z.uuid() });

export const authRoutes = [
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Sign in with email and password',
    description:
      'Returns a 15-minute access token valid only at this school, and a refresh token (single use, rotated on every refresh). After several failed attempts sign-in pauses for a few minutes; the answer does not say whether the account exists.',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: loginInput,
    limits: [{ ...LIMITS.login, by: bodyField('email') }, LIMITS.loginSpray],
    responses: { 200: { description: 'Signed in, or a second factor is needed (two_factor_required)', schema: loginResult } },
    handler: async ({ ctx, scope, deps, body }) => {
      const result = await signInWithPassword(ctx, scope, deps, body.email, body.session);
      if (result.outcome === 'refused') return { problem: result.problem };
      if (result.outcome === 'second-factor') return { body: { two_factor_required: true, challenge_token: result.challengeToken }, headers: NO_STORE };
      return { body: result.session, headers: NO_STORE };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'Exchange a refresh token for a new pair',
    description: 'Each refresh token works once. Presenting one that was already used signs that device out (it was copied) and is audited.',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: refreshInput,
    limits: [LIMITS.refresh],
    responses: { 200: { description: 'A new access and refresh token', schema: tokenView } },
    handler: async ({ scope, body, deps }) => {
      const result = await refreshSession(scope, body.refresh_token, deps.sessions);
      return 'problem' in result ? result : { body: result, headers: NO_STORE };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out this session',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'signed-in',
    duringEnrolment: true,
    responses: { 204: { description: 'Signed out; its tokens stop working at once' } },
    handler: async ({ scope, ctx, deps }) => {
      if (scope.actor.type === 'user') {
        await endOwnSession(scope, scope.actor.user.sessionId, 'logout');
        if (scope.actor.user.via === 'cookie') setSessionCookie(ctx, deps, null);
      }
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me',
    summary: 'The signed-in user',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'signed-in',
    duringEnrolment: true,
    responses: { 200: { description: 'Your profile', schema: userView } },
    handler: async ({ scope }) => {
      const id = scope.actor.type === 'user' ? scope.actor.user.id : '';
      return { body: presentUser(await getUser(scope, id)) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/sessions',
    summary: 'Your signed-in devices',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'signed-in',
    responses: { 200: { description: 'Active sessions, most recently used first', schema: z.object({ data: z.array(sessionView) }) } },
    handler: async ({ scope }) => ({ body: { data: await listOwnSessions(scope) } }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/me/sessions/:id',
    summary: 'Sign out one of your devices',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'signed-in',
    params: sessionParams,
    responses: { 204: { description: 'Signed out' } },
    handler: async ({ scope, params }) => {
      await endOwnSession(scope, params.id, 'signed_out_elsewhere');
      return {};
    },
  }),

  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset',
    summary: 'Email a password reset link',
    description: 'Always answers 202, whether or not the address belongs to someone at this school. The link works once, for 30 minutes.',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: resetRequestInput,
    limits: [{ ...LIMITS.resetRequest, by: bodyField('email') }],
    responses: { 202: { description: 'If the address is known, an email is on its way' } },
    handler: async ({ scope, body, deps }) => {
      await requestPasswordReset(scope, body.email, { mailer: deps.mailer, siteUrl: schoolUrl(deps.config, scope.tenant.slug) });
      return { status: 202, body: { detail: 'If that address belongs to someone at this school, a reset link is on its way.' } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset/confirm',
    summary: 'Set a new password with a reset token',
    description: 'Signs the person out everywhere.',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: resetConfirmInput,
    limits: [LIMITS.inviteAccept],
    responses: { 204: { description: 'Password changed; sign in again' } },
    handler: async ({ scope, body }) => {
      await confirmPasswordReset(scope, body.token, body.password);
      return {};
    },
  }),

  tenantRoute({
    method: 'get',
    path: '/api/v1/auth/csrf',
    summary: 'The CSRF token of your browser session',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'signed-in',
    duringEnrolment: true,
    responses: { 200: { description: 'Send it as X-CSRF-Token on unsafe requests', schema: z.object({ csrf_token: z.string().nullable() }) } },
    handler: async ({ scope, deps }) => ({
      body: { csrf_token: scope.actor.type === 'user' && scope.actor.user.via === 'cookie' ? csrfToken(deps.tokenKeys, scope.actor.user.sessionId) : null },
      headers: NO_STORE,
    }),
  }),
];
