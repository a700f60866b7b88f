// One structured line per request: method, route, status, time, request id, school. No bodies,
// no headers, no query strings (they can carry tokens or personal data).
import type { Middleware } from 'koa';
import { type Logger, pino } from 'pino';
import type { AppState } from './state.ts';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'edify' },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  });
}

export function accessLog(log: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const started = performance.now();
    ctx.state.log = log.child({ request_id: ctx.state.requestId });
    try {
      await next();
    } finally {
      const host = ctx.state.host;
      ctx.state.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          route: (ctx as { _matchedRoute?: string })._matchedRoute,
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          tenant: host?.kind === 'tenant' ? host.slug : undefined,
          user: ctx.state.scope?.actor.type === 'user' ? ctx.state.scope.actor.user.id : undefined,
        },
        'request',
      );
    }
  };
}
