// One structured line per request: method, route, status, time, request id, school. No bodies,
// no headers, no query strings (they can carry tokens or personal data).
import type { Middleware } from 'koa';
import { type Logger, pino } from 'pino';
import { type RequestTiming, requestTiming, round } from './slow.ts';
import type { AppState } from './state.ts';

export function createLogger(level: string): Logger {
  const options = {
    level,
    base: { service: 'edify' },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  };
  if (level === 'silent') return pino(options);
  // Asynchronous writes: a request never waits for its log line's write(2). pino's default (a
  // synchronous write per line) was the largest single cost of a short request in the profile
  // (docs/performance.md). A line is written at once when no write is in flight, else with the
  // next batch, so a quiet server's lines still appear immediately; pino flushes what is left when
  // the process exits (SIGTERM, SIGINT and an uncaught exception included). Only a power cut or a
  // SIGKILL can lose the last lines.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

/** `slowRequestMs`: a request taking at least this long also gets a `slow request` warn line with
 * its declared route and where the time went (database, waiting for a connection); 0 logs all. */
export function accessLog(log: Logger, options: { slowRequestMs?: number } = {}): Middleware<AppState> {
  const slowMs = options.slowRequestMs ?? Number.POSITIVE_INFINITY;
  return async (ctx, next) => {
    const started = performance.now();
    // The request's own logger is made only when something logs through it (most requests log
    // just the access line below, which names the request itself).
    const requestId = ctx.state.requestId;
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => {
        child ??= log.child({ request_id: requestId });
        return child;
      },
      set: (value: Logger) => {
        child = value;
      },
      configurable: true,
      enumerable: true,
    });
    const matched = () => (ctx as { _matchedRoute?: string })._matchedRoute;
    const timing: RequestTiming = { requestId: ctx.state.requestId, route: matched, dbMs: 0, waitMs: 0, queries: 0 };
    try {
      await requestTiming.run(timing, next);
    } finally {
      const host = ctx.state.host;
      const ms = round(performance.now() - started);
      log.info(
        {
          request_id: requestId,
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
        log.warn(
          {
            request_id: requestId,
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
