// Reads which school the request is for from the Host header (tenants/resolve.ts) and leaves it
// on ctx.state.host. No database work here: the tenant session resolves the slug to a school
// and sets app.tenant_id in one statement (tenants/session.ts).
import type { Middleware } from 'koa';
import { hostOf, resolveHost } from '../../tenants/resolve.ts';
import type { AppState } from './state.ts';

export function tenancy(options: { baseDomain: string; trustProxy: boolean }): Middleware<AppState> {
  return async (ctx, next) => {
    ctx.state.host = resolveHost(hostOf(ctx.headers, options.trustProxy), options);
    await next();
  };
}
