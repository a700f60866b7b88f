// Problems as pages: the same codes and words the API uses, in the school's layout, with the
// request id for the IT office and, for 429, when to try again.
import type { Middleware } from 'koa';
import type { AppError } from '../errors.ts';
import type { AppState } from '../http/state.ts';
import { pageSchool, renderPage } from './render.ts';
import { hasPhrase, phrase } from './words.ts';

export function problemPage(problem: AppError, ctx: Parameters<Middleware<AppState>>[0]): { html: string } | { redirect: string } {
  // A signed-out visitor of a protected page signs in first, then comes back.
  if (problem.code === 'unauthenticated') return { redirect: ctx.method === 'GET' ? `/sign-in?next=${encodeURIComponent(ctx.originalUrl)}` : '/sign-in' };
  // Someone whose school requires two-factor sign-in sets it up before anything else.
  if (problem.code === 'two-factor-enrolment-required' && ctx.method === 'GET') return { redirect: '/me/two-factor' };
  const tenant = ctx.state.scope?.tenant;
  const key = `error.title.${problem.code}`;
  const heading = phrase(hasPhrase(key) ? key : 'error.title.default');
  const internal = problem.code === 'internal';
  const retry = problem.extra?.retry_after;
  return {
    html: renderPage('error', {
      title: heading,
      heading,
      detail: internal
        ? 'Something went wrong on our side. Please try again; if it keeps happening, tell the school office the reference below.'
        : problem.message,
      retryAfter: typeof retry === 'number' ? retry : undefined,
      requestId: ctx.state.requestId,
      school: tenant ? pageSchool(tenant) : undefined,
      narrow: true,
    }),
  };
}
