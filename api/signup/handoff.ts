// The last step of signing a school up in the browser: the platform site's "Go to your school"
// form posts a hand-off token (api/auth/tokens.ts issueHandoffToken, 10 minutes) to the school's
// own host, which exchanges it once for an ordinary browser session of the new admin. Why it is
// safe to carry the session across hosts this way (api/web/platform.ts has the other half):
// - the token travels in a POST body only, never in an address (no logs, history or Referer);
// - it is accepted only from a form on the platform site (the Origin header, which a page on
//   another site cannot set), so no other site can sign a visitor into a school of its choosing;
// - it works once: only while the admin has never had a session (the user row is locked first),
//   and for the school and admin it was made for; signed like every other token.
// Anything else lands on the school's sign-in page with a message saying what to do.
import { z } from 'zod';
import { audit } from '../audit/service.ts';
import { setSessionCookie } from '../auth/complete-sign-in.ts';
import { startBrowserSession } from '../auth/sessions.ts';
import { verifyHandoffToken } from '../auth/tokens.ts';
import { schoolRequiresTwoFactor } from '../auth/two-factor.ts';
import { forbidden } from '../errors.ts';
import { tenantRoute } from '../http/route.ts';
import { User } from '../users/model.ts';

/** The platform site's origins, as seen from a school's host on the same scheme and port. */
export function platformOrigins(protocol: string, host: string, slug: string): string[] {
  const apex = host.startsWith(`${slug}.`) ? host.slice(slug.length + 1) : host;
  return [`${protocol}://${apex}`, `${protocol}://www.${apex}`];
}

export const handoffRoutes = [
  tenantRoute({
    method: 'post',
    path: '/welcome',
    summary: 'Signed up on the platform site: the new admin arrives signed in (once, from the platform site only)',
    tags: ['signup'],
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: z.object({ token: z.string().max(2000) }),
    limits: [{ name: 'signup-handoff', max: 20, durationMs: 10 * 60_000 }],
    responses: { 303: { description: 'Signed in: to the school’s front page; otherwise to its sign-in page' } },
    handler: async ({ scope, deps, ctx, body }) => {
      // POST → 303 → GET, as page forms answer (Koa's redirect keeps a redirect status already set).
      ctx.status = 303;
      const origin = ctx.get('origin');
      if (!platformOrigins(ctx.protocol, ctx.host, scope.tenant.slug).includes(origin)) {
        throw forbidden('This form can only be sent from the Edify sign-up page.');
      }
      const userId = await verifyHandoffToken(deps.tokenKeys, scope.tenant.id, body.token);
      const user = userId ? await User.query(scope.db).findById(userId).forUpdate() : undefined;
      const used = user ? await scope.db('auth_sessions').where({ user_id: user.id }).first('id') : undefined;
      if (user?.role !== 'admin' || user.status !== 'active' || used) return { redirect: '/sign-in?welcome=used' };
      const session = await startBrowserSession(scope, user.id, deps.sessions, {
        userAgent: ctx.get('user-agent'),
        ip: ctx.ip,
        kind: 'browser',
        enrolmentOnly: schoolRequiresTwoFactor(scope, user.role),
      });
      await audit(scope, 'auth.login', { type: 'user', id: user.id }, { method: 'signup', session_id: session.session_id, kind: 'browser' });
      setSessionCookie(ctx, deps, session.cookie, session.expires_at);
      return { redirect: '/' };
    },
  }),
];
