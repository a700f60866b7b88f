// One structured line per request: method, route, status, time, request id, school. No bodies,
// no headers, no query strings (they can carry tokens or personal data).
import type { Middleware } from 'koa';
import { type Logger, pino } from 'pino';
import { type RequestTiming, requestTiming, round } from './slow.ts';
import type { AppState } from './state.ts';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'edify' },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  });
}

/** `slowRequestMs`: a request taking at least this long also gets a `slow request` warn line with
 * its declared route and where the time went (database, waiting for a connection); 0 logs all. */
export function accessLog(log: Logger, options: { slowRequestMs?: number } = {}): Middleware<AppState> {
  const slowMs = options.slowRequestMs ?? Number.POSITIVE_INFINITY;
  return async (ctx, next) => {
    const started = performance.now();
    ctx.state.log = log.child({ request_id: ctx.state.requestId });
    const matched = () => (ctx as { _matchedRoute?: string })._matchedRoute;
    const timing: RequestTiming = { requestId: ctx.state.requestId, route: matched, dbMs: 0, waitMs: 0, queries: 0 };
    try {
      await requestTiming.run(timing, next);
    } finally {
      const host = ctx.state.host;
      const ms = round(performance.now() - started);
      ctx.state.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          route: matched(),
          status: ctx.status,
          ms,
          tenant: host?.kind === 'tenant' ? host.slug : undefined,
          user: ctx.state.scope?.actor.type === 'user' ? ctx.state.scope.actor.user.id : undefined,
        },
        'request',
      );
      if (ms >= slowMs) {
        // The route pattern, never the path (ids) or the query string; no school, no person.
        ctx.state.log.warn(
          {
            method: ctx.method,
            route: matched() ?? '(unmatched)',
            status: ctx.status,
            ms,
            db_ms: round(timing.dbMs),
            db_wait_ms: round(timing.waitMs),
            queries: timing.queries,
          },
          'slow request',
        );
      }
    }
  };
}
