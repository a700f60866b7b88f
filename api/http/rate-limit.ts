// Rate limits (koa-ratelimit). Counters live in Redis when REDIS_URL is set, so every API process
// shares them; otherwise in this process's memory. Keys combine the client IP, the school and,
// where a route has one, an identifier (the email being signed in, the token in use), so one
// noisy client cannot lock out a whole school and a spread-out attack still meets a limit.
// A limited request answers 429 with Retry-After, RateLimit-* headers and a problem document.
// Redis holds counters only, so it is never worth a request: a Redis that is not connected (or
// does not answer within REDIS_TIMEOUT_MS) makes the limits count in this process's memory until
// Redis is back, logged once per outage and counted in `store.stats` (docs/operations.md, Faults).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Context, Middleware } from 'koa';
import ratelimit from 'koa-ratelimit';
import { AppError } from '../errors.ts';
import { lazyRequire } from '../lazy.ts';
import type { AppState } from './state.ts';

/** ioredis loads only where REDIS_URL is set (api/lazy.ts). */
const ioredis = lazyRequire<typeof import('ioredis')>('ioredis');

export type LimitRule = {
  /** Names the counter: `login`, `refresh`, `writes`, ... */
  name: string;
  max: number;
  durationMs: number;
  /** What besides IP and school tells callers apart; undefined means IP and school only. */
  by?: (ctx: Context) => string | undefined;
  /** 'account': keyed by the verified account (never by anything the request merely claims) and
   * counted only once the request is valid and the account proven: after validation and
   * authentication, or when the handler proves it (api/http/route.ts `limitAccount`). So
   * malformed or unauthenticated requests spend nobody's allowance. */
  per?: 'account';
  /** Count every address together: a ceiling for the whole school, whoever asks. */
  wholeSchool?: boolean;
};

export type LimiterStats = {
  /** Whether requests count in Redis right now (false without REDIS_URL or during an outage). */
  usingRedis: boolean;
  /** Times Redis went away (each logged once). */
  outages: number;
  /** Limit checks counted in process memory although REDIS_URL is set. */
  fallbackChecks: number;
  /** Redis commands that failed or timed out (each sends that check to memory). */
  redisErrors: number;
  /** Requests refused (429), by limit name (a fixed set: LIMITS). */
  refusals: Record<string, number>;
};

export type LimiterStore = {
  driver: 'redis' | 'memory';
  /** The Redis client (driver 'redis'). */
  redis: Redis | undefined;
  /** Counters in this process: the store without REDIS_URL, the fallback with it. */
  memory: Map<string, unknown>;
  /** Read by /metrics; changed only by the store. */
  readonly stats: LimiterStats;
  /** Whether the next check should go to Redis. */
  useRedis: () => boolean;
  /** A Redis command failed: count in memory until Redis is connected again. */
  redisFailed: (error: unknown) => void;
  close: () => Promise<void>;
};

type Log = { warn: (fields: object, message: string) => void; info: (fields: object, message: string) => void };
const quiet: Log = { warn: () => {}, info: () => {} };

/** `timeoutMs` bounds connecting to Redis and every command: past it, the check counts in memory. */
export function createLimiterStore(redisUrl: string | undefined, options: { timeoutMs?: number; log?: Log } = {}): LimiterStore {
  // koa-ratelimit's memory store never forgets a key: sweep expired counters so a flood of
  // distinct keys (rotating emails, IPs) cannot grow the process without bound.
  const memory = new Map<string, unknown>();
  const sweep = setInterval(() => {
    const now = Date.now() / 1000;
    for (const [key, entry] of memory) if ((entry as { reset?: number }).reset !== undefined && (entry as { reset: number }).reset < now) memory.delete(key);
  }, 60_000);
  sweep.unref();
  const stats: LimiterStats = { usingRedis: false, outages: 0, fallbackChecks: 0, redisErrors: 0, refusals: {} };
  if (!redisUrl) {
    return { driver: 'memory', redis: undefined, memory, stats, useRedis: () => false, redisFailed: () => {}, close: async () => clearInterval(sweep) };
  }
  const log = options.log ?? quiet;
  const timeoutMs = options.timeoutMs ?? 500;
  // No offline queue and no retries: a command while disconnected fails at once instead of
  // waiting for a reconnection; reconnecting goes on in the background, every second at most.
  const redis = new (ioredis().Redis)(redisUrl, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  let away = false;
  let closing = false;
  const goAway = (error: unknown) => {
    stats.usingRedis = false;
    if (away || closing) return;
    away = true;
    stats.outages++;
    log.warn({ err_message: (error as Error | undefined)?.message }, 'Redis unavailable: rate limits count in process memory until it is back');
  };
  redis.on('ready', () => {
    if (away) log.info({}, 'Redis is back: rate limits count in Redis again');
    away = false;
    stats.usingRedis = true;
  });
  redis.on('error', goAway);
  redis.on('close', () => goAway(new Error('connection closed')));
  return {
    driver: 'redis',
    redis,
    memory,
    stats,
    useRedis: () => !away && redis.status === 'ready',
    redisFailed: (error) => {
      stats.redisErrors++;
      goAway(error);
      // A command that timed out on a connection that still looks open (a network partition):
      // reconnect, so that 'ready' says when Redis answers again.
      if (redis.status === 'ready') redis.disconnect(true);
    },
    close: async () => {
      closing = true;
      clearInterval(sweep);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export const hashed = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

export function rateLimit(rule: LimitRule, store: LimiterStore): Middleware<AppState> {
  const options = {
    namespace: `edify:limit:${rule.name}`,
    duration: rule.durationMs,
    max: rule.max,
    id: (ctx: Context) => {
      const host = (ctx.state as AppState).host;
      const school = host?.kind === 'tenant' ? host.slug : '-';
      const extra = rule.by?.(ctx);
      return `${rule.wholeSchool ? '*' : ctx.ip}|${school}|${extra === undefined ? '-' : hashed(extra.toLowerCase())}`;
    },
    headers: { remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset', total: 'RateLimit-Limit' },
  };
  const inMemory = ratelimit({ ...options, driver: 'memory', db: store.memory as never }) as unknown as Middleware<AppState>;
  const inRedis = store.redis ? (ratelimit({ ...options, driver: 'redis', db: store.redis as never }) as unknown as Middleware<AppState>) : undefined;
  /** Runs the check in Redis when it is there, else (or when Redis fails) in memory. */
  const limiter: Middleware<AppState> = async (ctx, next) => {
    if (inRedis && store.useRedis()) {
      try {
        return await inRedis(ctx, next);
      } catch (error) {
        // Only the Redis command can fail here (next only notes that the check passed).
        store.redisFailed(error);
      }
    }
    if (store.driver === 'redis') store.stats.fallbackChecks++;
    return inMemory(ctx, next);
  };
  return async (ctx, next) => {
    // Several limits can apply to one request: the headers report the one closest to running out.
    const before = HEADERS.map((h) => ctx.response.get(h));
    let passed = false;
    await limiter(ctx, async () => {
      passed = true;
    });
    // koa-ratelimit reports the reset as a Unix time; the RateLimit header fields use seconds from now.
    const reset = Number(ctx.response.get('RateLimit-Reset'));
    if (reset > 1_000_000_000) ctx.set('RateLimit-Reset', String(Math.max(0, Math.ceil(reset - Date.now() / 1000))));
    if (passed && before[1] !== '' && Number(before[1]) < Number(ctx.response.get('RateLimit-Remaining'))) {
      for (const [i, h] of HEADERS.entries()) ctx.set(h, before[i] ?? '');
    }
    if (!passed) {
      store.stats.refusals[rule.name] = (store.stats.refusals[rule.name] ?? 0) + 1;
      const retry = Math.max(1, Number(ctx.response.get('Retry-After')) || 1);
      ctx.set('Retry-After', String(retry));
      throw new AppError('rate-limited', `Too many attempts. Try again in ${retry} second${retry === 1 ? '' : 's'}.`, { extra: { retry_after: retry } });
    }
    await next();
  };
}

const HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const;
const MINUTE = 60_000;

/** The limits by name, so routes and docs share one table. */
export const LIMITS = {
  login: { name: 'login', max: 10, durationMs: 15 * MINUTE },
  loginSpray: { name: 'login-ip', max: 100, durationMs: 15 * MINUTE },
  refresh: { name: 'refresh', max: 60, durationMs: MINUTE },
  secondFactor: { name: 'second-factor', max: 10, durationMs: 15 * MINUTE },
  resetRequest: { name: 'password-reset', max: 5, durationMs: 60 * MINUTE },
  inviteAccept: { name: 'invite-accept', max: 20, durationMs: 60 * MINUTE },
  writes: { name: 'writes', max: 300, durationMs: MINUTE },
  perToken: { name: 'token', max: 1200, durationMs: MINUTE },
  /** Starting an SSO sign-in writes a row (saml_requests): per address (as many as the ACS's
   * login-ip limit lets finish), and a ceiling for the whole school. */
  samlLogin: { name: 'saml-login', max: 100, durationMs: 15 * MINUTE },
  samlLoginSchool: { name: 'saml-login-school', max: 10_000, durationMs: 15 * MINUTE, wholeSchool: true },
} as const;

/** The account a request proved it acts for (set by api/http/route.ts before `per: 'account'` limits). */
export const verifiedAccount = (ctx: Context): string | undefined => (ctx.state as AppState).account;

/** Keys a limit by a string field of the JSON body (e.g. the email being signed in to). */
export function bodyField(field: string): (ctx: Context) => string | undefined {
  return (ctx) => {
    const value = (ctx.request as { body?: Record<string, unknown> }).body?.[field];
    return typeof value === 'string' ? value.trim() : undefined;
  };
}
