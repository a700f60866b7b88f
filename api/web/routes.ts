// The web pages (server-rendered Handlebars, api/web/). Each page calls the same services as the
// API; see api/web/page.ts for how a page is declared.
import { z } from 'zod';
import { setSessionCookie } from '../auth/complete-sign-in.ts';
import { signInWithPassword, signInWithSecondFactor } from '../auth/login.ts';
import { endOwnSession } from '../auth/sessions.ts';
import { dashboard } from '../dashboard/service.ts';
import { bodyField, LIMITS } from '../http/rate-limit.ts';
import { tenantRoute } from '../http/route.ts';
import { safeColor } from '../mail/mailer.ts';
import { accountPages } from './account.ts';
import { adminPages } from './admin.ts';
import { adminBillingPages } from './admin-billing.ts';
import { adminSettingsPages } from './admin-settings.ts';
import { assetRoutes } from './assets.ts';
import { cataloguePages } from './catalogue.ts';
import { classPages } from './classes.ts';
import { courseBuilderPages } from './course-builder.ts';
import { coursePages } from './courses.ts';
import { everydayPages } from './everyday.ts';
import { gradebookPages } from './gradebook.ts';
import { homeworkPages } from './homework.ts';
import { inboxPages } from './inbox.ts';
import { page, pageRoute, safeNext } from './page.ts';
import { platformPages } from './platform.ts';
import { quizPages } from './quizzes.ts';
import { signInOptions } from './sign-in.ts';
import { twoFactorPages } from './two-factor.ts';
import { phrase } from './words.ts';

const nextQuery = z.object({
  next: z.string().max(2000).optional(),
  signed_out: z.literal('1').optional(),
  reset: z.literal('1').optional(),
  // A signup hand-off that could not sign in (used, expired): api/signup/handoff.ts.
  welcome: z.literal('used').optional(),
});
const signInForm = z.object({
  email: z.string().trim().max(320),
  password: z.string().max(1000),
  next: z.string().max(2000).optional(),
});

export const webRoutes = [
  ...assetRoutes,
  ...coursePages,
  ...courseBuilderPages,
  ...accountPages,
  ...classPages,
  ...homeworkPages,
  ...everydayPages,
  ...cataloguePages,
  ...gradebookPages,
  ...twoFactorPages,
  ...quizPages,
  ...inboxPages,
  ...adminPages,
  ...adminSettingsPages,
  ...adminBillingPages,
  ...platformPages,
  tenantRoute({
    method: 'get',
    path: '/theme.css',
    summary: 'The school’s colours as CSS variables (for its pages)',
    tags: ['pages'],
    access: 'public',
    allowReadOnly: true,
    responses: { 200: { description: 'CSS', contentType: 'text/css' } },
    handler: async ({ scope }) => {
      const brand = safeColor(scope.tenant.settings?.color);
      return {
        body: `:root{--brand:${brand};--on-brand:${textOn(brand)}}\n`,
        headers: { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=300' },
      };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/',
    summary: 'A school’s front page: the sign-in form, or the signed-in person’s dashboard',
    access: 'public',
    identify: true,
    allowReadOnly: true,
    query: nextQuery,
    handler: async ({ scope, deps, query }) => {
      if (scope.actor.type !== 'user')
        return page(scope, deps, 'school-home', { title: 'Sign in', narrow: true, next: safeNext(query.next), ...(await signInOptions(scope)) });
      return page(scope, deps, 'dashboard', { title: 'Home', current: '/', dashboard: await dashboard(scope) });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/sign-in',
    summary: 'The sign-in form',
    access: 'public',
    allowReadOnly: true,
    query: nextQuery,
    handler: async ({ scope, deps, query }) =>
      page(scope, deps, 'school-home', {
        title: 'Sign in',
        narrow: true,
        next: safeNext(query.next),
        notice: query.signed_out
          ? phrase('signin.signed_out')
          : query.reset
            ? phrase('signin.password_changed')
            : query.welcome
              ? phrase('signin.welcome_used')
              : undefined,
        ...(await signInOptions(scope)),
      }),
  }),
  pageRoute({
    method: 'post',
    path: '/sign-in',
    summary: 'Sign in with email and password (the form)',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: signInForm,
    limits: [{ ...LIMITS.login, by: bodyField('email') }, LIMITS.loginSpray],
    handler: async ({ scope, deps, ctx, body }) => {
      const next = safeNext(body.next);
      const result = await signInWithPassword(ctx, scope, deps, body.email, 'cookie');
      if (result.outcome === 'signed-in') return { redirect: next };
      if (result.outcome === 'second-factor') {
        return page(scope, deps, 'two-factor', { title: 'Two-step sign-in', narrow: true, next, challengeToken: result.challengeToken });
      }
      // Audited and counted (the transaction commits); the form comes back with the email kept.
      const error = result.problem.code === 'invalid-credentials' ? phrase('signin.failed') : result.problem.message;
      return {
        ...page(scope, deps, 'school-home', { title: 'Sign in', narrow: true, next, email: body.email, error, ...(await signInOptions(scope)) }),
        status: result.problem.status,
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/sign-in/two-factor',
    summary: 'The second step of signing in: a code from the authenticator app, or a recovery code',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: z.object({ challenge_token: z.string().max(2000), code: z.string().max(100), next: z.string().max(2000).optional() }),
    limits: [{ ...LIMITS.secondFactor, per: 'account' }],
    handler: async ({ scope, deps, ctx, body, limitAccount }) => {
      const next = safeNext(body.next);
      const code = body.code.replace(/\s+/g, '');
      const factor = /^\d{6}$/.test(code) ? { code } : { recovery_code: body.code.trim() };
      const result = await signInWithSecondFactor(ctx, scope, deps, { challenge_token: body.challenge_token, ...factor }, 'cookie', limitAccount);
      if (result.outcome === 'signed-in') return { redirect: next };
      if (result.problem.code === 'unauthenticated') {
        return {
          ...page(scope, deps, 'school-home', { title: 'Sign in', narrow: true, next, error: result.problem.message, ...(await signInOptions(scope)) }),
          status: 401,
        };
      }
      return {
        ...page(scope, deps, 'two-factor', {
          title: 'Two-step sign-in',
          narrow: true,
          next,
          challengeToken: body.challenge_token,
          error: phrase('twofactor.failed'),
        }),
        status: 401,
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/sign-out',
    summary: 'Sign out of this browser',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, ctx, deps }) => {
      if (scope.actor.type === 'user') await endOwnSession(scope, scope.actor.user.sessionId, 'logout');
      setSessionCookie(ctx, deps, null);
      return { redirect: '/sign-in?signed_out=1' };
    },
  }),
];

/** White or near-black text on the school's colour, whichever has the higher contrast (WCAG). */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#111111';
}
