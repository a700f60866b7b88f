// Turns every error into application/problem+json (RFC 9457) exactly once. Client mistakes get
// their catalogue status; anything unexpected is logged with its stack and answered with a bare
// 500 that carries only the request id.
import type { Middleware } from 'koa';
import { AppError, fromDatabaseError, PROBLEM_BASE, PROBLEMS, type ProblemCode } from '../errors.ts';
import type { AppState } from './state.ts';

/** How a page shows a problem (api/web/errors.ts): an HTML page, or somewhere to go instead (sign
 * in first, set up two-factor sign-in first). The API answers problem documents. */
export type ProblemPage = (problem: AppError, ctx: Parameters<Middleware<AppState>>[0]) => { html: string } | { redirect: string };

/** A browser asking for a page (not the API) gets HTML: page routes always, other addresses when
 * the request prefers text/html (a mistyped address in the address bar). */
export function wantsPage(ctx: { state: AppState; path: string; accepts: (...types: string[]) => string | false }): boolean {
  if (ctx.state.page) return true;
  if (ctx.path.startsWith('/api/') || ctx.path === '/openapi.json') return false;
  return ctx.accepts('json', 'html') === 'html';
}

/** `onInternal`: told of every unexpected error answered 500 (the optional error hook,
 * api/http/error-report.ts); it must not throw or wait. */
export function problemErrors(page?: ProblemPage, onInternal?: (error: unknown, ctx: Parameters<Middleware<AppState>>[0]) => void): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('not-found', `Nothing lives at ${ctx.method} ${ctx.path}.`);
      }
    } catch (error) {
      const problem = toAppError(error);
      if (problem.code === 'internal') {
        (ctx.state.log ?? console).error({ err: error, request_id: ctx.state.requestId }, 'request failed');
        onInternal?.(error, ctx);
      } else if (problem.status >= 500) {
        // Overload, timeouts, a database away: expected under pressure, one line each, no stack.
        // The catalogue's words and the cause's code, never the cause's message (knex puts the SQL
        // with its values in front of it).
        (ctx.state.log ?? console).warn(
          { code: problem.code, request_id: ctx.state.requestId, reason: problem.message, cause: causeCode(error) },
          'request refused',
        );
      }
      if (page && wantsPage(ctx)) {
        const shown = page(problem, ctx);
        if ('redirect' in shown) {
          ctx.status = 303;
          ctx.redirect(shown.redirect);
          return;
        }
        ctx.status = problem.status;
        if (typeof problem.extra?.retry_after === 'number') ctx.set('Retry-After', String(problem.extra.retry_after));
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = shown.html;
        return;
      }
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: `${PROBLEM_BASE}${problem.code}`,
        title: PROBLEMS[problem.code].title,
        status: problem.status,
        detail:
          problem.status >= 500 && problem.code === 'internal'
            ? 'Something went wrong on our side. The request id identifies it in our logs.'
            : problem.message,
        instance: ctx.path,
        request_id: ctx.state.requestId,
        ...(problem.errors ? { errors: problem.errors } : {}),
        ...problem.extra,
      };
      if (problem.status === 401) ctx.set('WWW-Authenticate', 'Bearer');
      if (problem.status === 503 && typeof problem.extra?.retry_after === 'number') ctx.set('Retry-After', String(problem.extra.retry_after));
      if (problem.code === 'method-not-allowed' && problem.extra?.allow) ctx.set('Allow', String(problem.extra.allow));
    }
  };
}

/** What caused a refusal, for the log: a SQLSTATE or socket code, or the error's name. */
function causeCode(error: unknown): string | undefined {
  const root = error instanceof AppError ? error.cause : error;
  const e = root as { code?: unknown; name?: unknown } | undefined;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.name === 'string' ? e.name : undefined;
}

const HTTP_ERRORS: Record<number, ProblemCode> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
};

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fromDb = fromDatabaseError(error);
  if (fromDb) return fromDb;
  // http-errors thrown by Koa, the router and the body parser carry a status and `expose`.
  const e = error as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status < 500 && HTTP_ERRORS[status]) {
    const code = HTTP_ERRORS[status] as ProblemCode;
    const detail = e.expose && e.message ? e.message : PROBLEMS[code].title;
    return new AppError(code, detail, { cause: error });
  }
  return new AppError('internal', 'Internal error', { cause: error });
}
