// Problems as pages: the same codes and words the API uses, in the school's layout, with the
// request id for the IT office and, for 429, when to try again.
import type { Middleware } from 'koa';
import type { AppError } from '../errors.ts';
import type { AppState } from '../http/state.ts';
import { pageSchool, renderPage } from './render.ts';
import { hasPhrase, phrase } from './words.ts';

export function problemPage(problem: AppError, ctx: Parameters<Middleware<AppState>>[0]): string {
  const tenant = ctx.state.scope?.tenant;
  const key = `error.title.${problem.code}`;
  const heading = phrase(hasPhrase(key) ? key : 'error.title.default');
  const internal = problem.code === 'internal';
  const retry = problem.extra?.retry_after;
  return renderPage('error', {
    title: heading,
    heading,
    detail: internal
      ? 'Something went wrong on our side. Please try again; if it keeps happening, tell the school office the reference below.'
      : problem.message,
    retryAfter: typeof retry === 'number' ? retry : undefined,
    requestId: ctx.state.requestId,
    school: tenant ? pageSchool(tenant) : undefined,
    narrow: true,
  });
}
