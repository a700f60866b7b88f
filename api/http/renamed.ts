// A renamed school's old subdomain answers 308 to the same path at the new one, until the
// redirect expires (api/platform/renames.ts). Looked up only when the old host found no school (a
// 404), so a school's own requests pay nothing: while a redirect is live, no school can hold
// that subdomain.
import type { Middleware } from 'koa';
import type { AppDeps } from '../app-deps.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { renamedTo } from '../platform/renames.ts';
import type { AppState } from './state.ts';

export function redirectRenamed(deps: Pick<AppDeps, 'config' | 'dbs' | 'clock'>, dispatch: Middleware<AppState>): Middleware<AppState> {
  return async (ctx, next) => {
    const host = ctx.state.host;
    if (host.kind !== 'tenant') return dispatch(ctx, next);
    let notFound: unknown;
    try {
      await dispatch(ctx, next);
      if (ctx.status !== 404 || ctx.body !== undefined) return;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'not-found')) throw error;
      notFound = error;
    }
    const to = await renamedTo(deps.dbs.app, host.slug, deps.clock());
    if (!to) {
      if (notFound) throw notFound;
      return;
    }
    ctx.status = 308;
    ctx.set('Location', `${schoolUrl(deps.config, to)}${ctx.originalUrl}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = `This school moved to ${schoolUrl(deps.config, to)}`;
  };
}
