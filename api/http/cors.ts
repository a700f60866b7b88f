// CORS: no cross-origin access unless the school lists the origin (school settings, cors_origins).
// Listed origins may send credentials; preflights are answered here. The school's list is read
// only for cross-origin requests and cached for a few seconds per process (by the app's clock, so a
// test moves time instead of waiting).
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';
import type { AppState } from './state.ts';

const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id, X-CSRF-Token, Idempotency-Key';
const EXPOSE_HEADERS = 'X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';
const CACHE_MS = 5_000;

export function cors(app: Knex, clock: () => Date = () => new Date()): Middleware<AppState> {
  const cache = new Map<string, { origins: string[]; until: number }>();
  const allowedOrigins = async (slug: string): Promise<string[]> => {
    const hit = cache.get(slug);
    if (hit && hit.until > clock().getTime()) return hit.origins;
    const row = await app('tenants').where({ slug }).first('settings');
    const list = row?.settings?.cors_origins;
    const origins = Array.isArray(list) ? list.filter((o: unknown): o is string => typeof o === 'string') : [];
    if (cache.size > 10_000) cache.clear();
    cache.set(slug, { origins, until: clock().getTime() + CACHE_MS });
    return origins;
  };
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    const host = ctx.state.host;
    ctx.vary('Origin');
    if (!origin || host.kind !== 'tenant' || origin === `${ctx.protocol}://${ctx.host}`) return next();
    const allowed = (await allowedOrigins(host.slug)).includes(origin);
    const preflight = ctx.method === 'OPTIONS' && ctx.get('access-control-request-method') !== '';
    if (preflight) {
      if (!allowed)
        throw new AppError(
          'forbidden',
          `The origin ${origin} may not call this school's API. A school admin can allow it in the school settings (cors_origins).`,
        );
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    await next();
  };
}
