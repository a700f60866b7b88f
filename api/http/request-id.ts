// Accepts a sane X-Request-Id from the caller (a proxy's, or a client's retry) or makes one, and
// echoes it back, so one id follows a request through logs, audit events and problem documents.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { AppState } from './state.ts';

const SANE = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): Middleware<AppState> {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = SANE.test(given) ? given : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
