// The last step of every sign-in (password, second factor): a token pair for API clients, or a
// browser session cookie with its CSRF token for web pages.
import type { Context } from 'koa';
import type { AppDeps } from '../app-deps.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import type { Scope } from '../scope.ts';
import type { User } from '../users/model.ts';
import { signIn, signInBrowser } from './service.ts';
import { COOKIE, SECURE_COOKIE } from './sessions.ts';

export async function completeSignIn(ctx: Context, scope: Scope, deps: AppDeps, user: User, options: { mode: 'token' | 'cookie'; enrolmentOnly: boolean }) {
  const meta = { userAgent: ctx.get('user-agent'), ip: ctx.ip, enrolmentOnly: options.enrolmentOnly };
  if (options.mode === 'token') {
    const pair = await signIn(scope, user, deps.sessions, meta);
    await tellAboutNewDevice(scope, deps, user, pair.session_id, meta);
    return { ...pair, two_factor_enrolment_required: options.enrolmentOnly };
  }
  const session = await signInBrowser(scope, user, deps.sessions, { ...meta, kind: 'browser' });
  await tellAboutNewDevice(scope, deps, user, session.session_id, meta);
  setSessionCookie(ctx, deps, session.cookie, session.expires_at);
  return {
    csrf_token: session.csrf_token,
    session_id: session.session_id,
    expires_at: session.expires_at.toISOString(),
    two_factor_enrolment_required: options.enrolmentOnly,
  };
}

/** Host-only (no Domain attribute), HttpOnly, SameSite=Lax; Secure with the __Host- prefix
 * whenever the site is served over HTTPS (always in production). */
export function setSessionCookie(ctx: Context, deps: AppDeps, value: string | null, expires?: Date): void {
  const secure = ctx.secure || deps.config.env === 'production';
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/', overwrite: true, ...(expires ? { expires } : {}) };
  if (secure) {
    ctx.cookies.secure = true;
    ctx.cookies.set(SECURE_COOKIE, value, { ...options, secure: true });
  } else {
    ctx.cookies.set(COOKIE, value, { ...options, secure: false });
  }
}

/** Emails the person when they sign in from a device (user agent) none of their earlier
 * sessions used; the very first sign-in is not news. */
async function tellAboutNewDevice(scope: Scope, _deps: AppDeps, user: User, sessionId: string, meta: { userAgent: string; ip: string }): Promise<void> {
  const { rows } = await scope.db.raw(
    `select exists (select 1 from auth_sessions where user_id = ? and id <> ?) as had_any,
            exists (select 1 from auth_sessions where user_id = ? and id <> ? and user_agent is not distinct from ?) as seen`,
    [user.id, sessionId, user.id, sessionId, meta.userAgent.slice(0, 300) || null],
  );
  if (!rows[0]?.had_any || rows[0]?.seen) return;
  await enqueueMail(scope, {
    to: user.email,
    template: 'new-sign-in',
    data: { first_name: user.first_name, when: new Date(), ip: meta.ip || 'unknown', user_agent: meta.userAgent || 'unknown device' },
  });
}
