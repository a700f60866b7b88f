// How a feature declares an HTTP route: its schemas, its permission, its handler. From one
// declaration this module builds the route's chain, in this order:
//   parse JSON body (before any database work) → validate params, query, body (zod; no NUL
//   characters anywhere) → tenant session (one transaction; READ ONLY for GET; an unknown school
//   is a 404 before any 401 or 422 is answered) → authenticate → CASL check → per-account limits
//   → handler → commit → write the reply.
// and api/http/openapi.ts builds the OpenAPI document from the same declarations. A route cannot
// be declared without `access`, so no route goes without a permission decision.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { withTenant } from '../../tenants/session.ts';
import type { Action, SubjectName } from '../access/ability.ts';
import { runGuards } from '../access/guards.ts';
import type { AppDeps } from '../app-deps.ts';
import { authenticate, probeCredentials, type SignInProbe, signInStatement } from '../auth/authenticate.ts';
import { COOKIE, SECURE_COOKIE } from '../auth/sessions.ts';
import { accessOf } from '../billing/access.ts';
import { recordAccessChange } from '../billing/access-changes.ts';
import { AppError, type FieldError, forbidden, notFound, type ProblemCode } from '../errors.ts';
import { type Actor, actAs, createScope, runAfterCommit, type Scope } from '../scope.ts';
import { formBody, jsonBody } from './body.ts';
import { claimIdempotencyKey, fingerprint, IDEMPOTENCY_HEADER, releaseKey, storeAnswer } from './idempotency.ts';
import { hashed, LIMITS, type LimitRule, rateLimit, verifiedAccount } from './rate-limit.ts';
import type { AppState } from './state.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** 'public': anyone, signed in or not. 'signed-in': any active user of this school.
 * { action, subject }: a user whose ability allows the action on some instance of the subject;
 * the service then narrows it to the instances (404 for the rest). */
export type Access = 'public' | 'signed-in' | { action: Action; subject: SubjectName };

export type Reply =
  | { status?: number; body?: unknown; headers?: Record<string, string> }
  | { html: string; status?: number; headers?: Record<string, string> }
  | { redirect: string }
  /** Work that must not hold the transaction (a call to Stripe): runs after commit, then answers. */
  | { afterCommit: () => Promise<Reply> }
  /** Answer with this problem but keep the transaction (e.g. an audited failed login). */
  | { problem: AppError };

export type AnyObject = z.ZodType<Record<string, unknown>>;

type Input<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> = {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  deps: AppDeps;
  ctx: Context;
};

type Common<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> = {
  method: Method;
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Still works when the school is read-only for billing (sign-in, paying). */
  allowReadOnly?: boolean;
  /** A GET that must write (e.g. it records an outstanding SAML request): not READ ONLY. */
  writes?: boolean;
  /** The body is an HTML form post (application/x-www-form-urlencoded) rather than JSON. */
  form?: boolean;
  /** The body is a stream the handler reads itself (a file upload, multipart/form-data): nothing
   * parses it first. The handler authorises in its session and returns `{ afterCommit }`, which
   * reads the bytes with no session open and calls `reopen` for the rows. Answering before the
   * body is read to the end closes the connection instead of reading the rest. */
  upload?: boolean;
  /** A web page (api/web/): errors render as HTML pages, and a signed-out visitor of a protected
   * page is sent to the sign-in page instead of getting a 401 problem. */
  page?: boolean;
  /** Extra rate limits (api/http/rate-limit.ts LIMITS). Every route also gets the per-token
   * limit when a token is sent, and writes get the write limit. */
  limits?: LimitRule[];
  /** A creating request people retry (a hand-in, an attempt, a payment): an `Idempotency-Key`
   * header makes a retry replay the first answer instead of changing anything again
   * (api/http/idempotency.ts). School routes only. */
  idempotent?: boolean;
  /** The OpenAPI operationId, when the one derived from the method and path reads badly. */
  operationId?: string;
  /** Problems this route answers beyond those its declaration implies (e.g. 'conflict'), for the
   * OpenAPI document (api/http/openapi.ts errorStatuses). */
  errors?: ProblemCode[];
  /** Successful responses by status; problems are derived (api/http/openapi.ts). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
};

export type TenantRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType> = Common<P, Q, B> & {
  host: 'tenant';
  access: Access;
  /** Reachable by someone who must enrol in two-factor sign-in before anything else. */
  duringEnrolment?: boolean;
  /** A public route that still wants to know who is asking when credentials come along (the
   * school's front page: the sign-in form, or the dashboard). Stale credentials mean anonymous. */
  identify?: boolean;
  handler: (input: Input<P, Q, B> & { scope: Scope; reopen: Reopen; limitAccount: LimitAccount }) => Promise<Reply>;
};

/** Opens another tenant session for the same school and the same signed-in person (for work done
 * after the request's own session has closed, e.g. the rows of an upload). */
/** Spends the route's `per: 'account'` limits for an account the handler has just proven (a
 * verified challenge token); signed-in callers are counted before the handler runs. */
export type LimitAccount = (accountId: string) => Promise<void>;

export type Reopen = <T>(fn: (scope: Scope) => Promise<T>) => Promise<T>;

/** 'platform': the apex domain only (signup, webhooks). 'any': every host, school or not
 * (health checks, the OpenAPI document). */
export type PlatformRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType> = Common<P, Q, B> & {
  host: 'platform' | 'any';
  access: 'public';
  handler: (input: Input<P, Q, B>) => Promise<Reply>;
};

export type AnyRoute = TenantRoute<any, any, any> | PlatformRoute<any, any, any>;

export function tenantRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType>(
  route: Omit<TenantRoute<P, Q, B>, 'host'>,
): TenantRoute<P, Q, B> {
  return { ...route, host: 'tenant' };
}

export function platformRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends z.ZodType = z.ZodType>(
  route: Omit<PlatformRoute<P, Q, B>, 'host' | 'access'>,
  host: 'platform' | 'any' = 'platform',
): PlatformRoute<P, Q, B> {
  return { ...route, host, access: 'public' };
}

export function mountRoutes(router: Router<AppState>, routes: AnyRoute[], deps: AppDeps): void {
  const parseBody = jsonBody(deps.config.bodyLimit);
  const parseForm = formBody(deps.config.bodyLimit);
  const token = (ctx: Context) => {
    const header = ctx.get('authorization');
    return header ? hashed(header) : undefined;
  };
  const perToken = rateLimit({ ...LIMITS.perToken, by: token }, deps.limiter);
  const writes = rateLimit({ ...LIMITS.writes, by: token }, deps.limiter);
  for (const route of routes) {
    const chain: Middleware<AppState>[] = [];
    if (route.page) chain.push(markPage);
    if (route.upload) chain.push(closeUnreadBody);
    if (route.body) chain.push(route.form ? parseForm : parseBody);
    if (route.host === 'tenant') {
      chain.push(async (ctx, next) => (ctx.get('authorization') ? perToken(ctx, next) : next()));
      if (route.method !== 'get') chain.push(writes);
    }
    for (const rule of route.limits ?? []) if (rule.per !== 'account') chain.push(rateLimit(rule, deps.limiter));
    const perAccount = (route.limits ?? []).filter((rule) => rule.per === 'account').map((rule) => rateLimit({ ...rule, by: verifiedAccount }, deps.limiter));
    if (perAccount.length > 0 && route.host !== 'tenant') throw new Error(`${route.method} ${route.path}: per-account limits need a school route`);
    chain.push(route.host === 'tenant' ? tenantHandler(route, deps, perAccount) : platformHandler(route, deps));
    router.register(route.path, [route.method.toUpperCase()], chain as never, { name: `${route.method} ${route.path}` });
  }
}

function platformHandler(route: PlatformRoute<any, any, any>, deps: AppDeps): Middleware<AppState> {
  return async (ctx) => {
    const input = validate(route, ctx);
    send(ctx, await route.handler({ ...input, deps, ctx: ctx as unknown as Context }));
  };
}

function tenantHandler(route: TenantRoute<any, any, any>, deps: AppDeps, perAccount: Middleware<AppState>[]): Middleware<AppState> {
  return async (ctx) => {
    const limitAccount: LimitAccount = async (accountId) => {
      ctx.state.account = accountId;
      for (const limit of perAccount) await limit(ctx, async () => {});
    };
    const host = ctx.state.host;
    if (host.kind !== 'tenant') throw new AppError('not-found', 'This address serves no school.');
    // Anonymous callers of a protected route learn nothing more, not even what input it takes (no
    // validation). Every refusal waits until the school is known to exist: an unknown school is a
    // 404 for every request, and this costs no round trip for a school that does exist.
    const cookie = sessionCookie(ctx, deps.config);
    const anonymous = route.access !== 'public' && !ctx.get('authorization') && !cookie;
    let refusal: unknown = anonymous ? new AppError('unauthenticated', 'Sign in and send the access token as "Authorization: Bearer <token>".') : undefined;
    let input: ReturnType<typeof validate> | undefined;
    try {
      if (!refusal) input = validate(route, ctx);
    } catch (error) {
      refusal = error;
    }
    // Checked before the transaction opens (no connection is held while a token is verified), and
    // read in the same round trip as the school (api/auth/authenticate.ts).
    const identify = !refusal && (route.access !== 'public' || (route.identify === true && (ctx.get('authorization') !== '' || cookie !== undefined)));
    const probe: SignInProbe | undefined = identify ? await probeCredentials({ authorization: ctx.get('authorization'), cookie }, deps.tokenKeys) : undefined;
    const tasks: (() => Promise<void>)[] = [];
    // Recorded whether or not this request succeeds (it may be the first write refused for it).
    let accessChange: (() => Promise<void>) | undefined;
    const recordAccess = () => {
      if (accessChange) void runAfterCommit([accessChange], (error) => ctx.state.log.error({ err: error }, 'recording an access change failed'));
    };
    const reply = await withTenant(
      deps.dbs.app,
      { slug: host.slug },
      async (db, tenant, prefetched) => {
        if (refusal || !input) throw refusal;
        const scope = createScope({
          db,
          tenant,
          actor: { type: 'anonymous' },
          request: { id: ctx.state.requestId, ip: ctx.ip },
          afterCommit: tasks,
          clock: deps.clock,
          ...(deps.jobs ? { outbox: { jobs: deps.jobs, box: deps.secretBox } } : {}),
        });
        ctx.state.scope = scope;
        const access = accessOf(tenant, deps.config.billingGraceDays, deps.clock());
        if (access.banner) ctx.set('Edify-Billing-Notice', access.banner);
        if (access.level !== tenant.access_level) accessChange = () => recordAccessChange(deps, tenant, access);
        if (probe) {
          actAs(
            scope,
            route.access === 'public' ? await authenticate(scope, probe, prefetched).catch(anonymousWhenUnknown) : await authenticate(scope, probe, prefetched),
          );
        }
        // Billing's read-only rule, CSRF, the two-factor gate and the route's permission: the same
        // ordered guards the CLI and jobs pass (api/access/guards.ts).
        runGuards({
          scope,
          entry: 'request',
          writes: route.method !== 'get',
          allowReadOnly: route.allowReadOnly,
          billingGraceDays: deps.config.billingGraceDays,
          request: {
            ctx: ctx as unknown as Context,
            deps,
            access: route.access,
            duringEnrolment: route.duringEnrolment,
            tokenInAddress: route.page && route.upload,
          },
        });
        if (scope.actor.type === 'user' && perAccount.length > 0) await limitAccount(scope.actor.user.id);
        const reopen: Reopen = (fn) => withTenant(deps.dbs.app, { id: scope.tenant.id }, (next, tenant) => fn({ ...scope, db: next, tenant }));
        const key = route.idempotent ? ctx.get(IDEMPOTENCY_HEADER) : '';
        if (key) {
          const { replay } = await claimIdempotencyKey(scope, key, fingerprint(route.method, ctx.path, input));
          if (replay) return replay;
        }
        const answer = await route.handler({ ...input, scope, reopen, limitAccount, deps, ctx: ctx as unknown as Context });
        if (key) return keepAnswer(answer, key, scope, reopen);
        return answer;
      },
      { readOnly: route.method === 'get' && !route.writes, prefetch: probe && signInStatement(probe) },
    ).finally(recordAccess);
    send(ctx, 'afterCommit' in reply ? await reply.afterCommit() : reply);
    // Not awaited: the answer must not wait for (or reveal, by its timing) an email being sent.
    if (tasks.length > 0) void runAfterCommit(tasks, (error) => ctx.state.log.error({ err: error }, 'after-commit task failed'));
  };
}

/** Keeps an idempotent request's answer with its key: in the request's transaction, or (for an
 * answer made after commit, such as a payment) in a session of its own once it is known. */
async function keepAnswer(reply: Reply, key: string, scope: Scope, reopen: Reopen): Promise<Reply> {
  if ('problem' in reply) {
    await releaseKey(scope, key);
    return reply;
  }
  if ('afterCommit' in reply) {
    return {
      afterCommit: async () => {
        const later = await reply.afterCommit();
        if (!('html' in later) && !('redirect' in later) && !('problem' in later) && !('afterCommit' in later)) {
          await reopen((next) =>
            storeAnswer(next, key, { status: later.status ?? (later.body === undefined ? 204 : 200), body: later.body, headers: later.headers }),
          );
        }
        return later;
      },
    };
  }
  if ('html' in reply || 'redirect' in reply) return reply;
  await storeAnswer(scope, key, { status: reply.status ?? (reply.body === undefined ? 204 : 200), body: reply.body, headers: reply.headers });
  return reply;
}

function send(ctx: Parameters<Middleware<AppState>>[0], reply: Reply): void {
  if ('afterCommit' in reply) throw new Error('afterCommit replies are resolved by the tenant handler');
  if ('problem' in reply) throw reply.problem;
  if ('redirect' in reply) {
    // A page's form answers POST → 303 → GET (the browser must not repost it).
    if (ctx.state.page && ctx.method !== 'GET') ctx.status = 303;
    ctx.redirect(reply.redirect);
    return;
  }
  if ('html' in reply) {
    // A page may widen one header for itself (a lesson's video frame: Content-Security-Policy).
    for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
    ctx.status = reply.status ?? 200;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = reply.html;
    return;
  }
  for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
  ctx.status = reply.status ?? (reply.body === undefined ? 204 : 200);
  if (reply.body !== undefined) ctx.body = reply.body;
  revalidatable(ctx);
}

/** A JSON answer to a GET carries a weak ETag of its bytes, and a client that sends it back
 * (If-None-Match) gets 304 with no body: a page that polls (a course copy's progress, the unread
 * count) downloads an answer again only when it changed. `private, no-cache`: the answer is one
 * person's, kept by their browser only, and asked about again every time. An answer that says how
 * it may be kept (`no-store` on secrets) is left as it is. */
function revalidatable(ctx: Parameters<Middleware<AppState>>[0]): void {
  const body = ctx.body;
  if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.status !== 200 || ctx.response.get('Cache-Control')) return;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
  const json = JSON.stringify(body);
  ctx.set('ETag', `W/"${createHash('sha1').update(json).digest('base64url')}"`);
  ctx.set('Cache-Control', 'private, no-cache');
  if (ctx.fresh) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.type = 'application/json';
  ctx.body = json;
}

function validate(route: AnyRoute, ctx: Parameters<Middleware<AppState>>[0]) {
  const errors: FieldError[] = [];
  const check = <S extends z.ZodType | undefined>(schema: S, value: unknown, where: FieldError['in']) => {
    // PostgreSQL cannot store a NUL character in text or jsonb (22021, 22P05): refused here, once,
    // for every field of every route, whatever its schema says.
    const nul = nulFields(value);
    for (const field of nul) errors.push({ in: where, field, message: 'must not contain a NUL character (\\u0000)' });
    if (!schema || nul.length > 0) return {};
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) errors.push({ in: where, field: issue.path.join('.'), message: issue.message });
    return undefined;
  };
  const params = check(route.params, ctx.params, 'params');
  // A malformed id in the path names nothing that exists: that is a 404, not a validation error.
  if (errors.length > 0) throw notFound('The record');
  const query = check(route.query, { ...ctx.query }, 'query');
  const body = check(route.body, (ctx.request as { body?: unknown }).body, 'body');
  if (errors.length > 0) throw new AppError('validation-failed', 'Some fields are not valid; see errors.', { errors });
  return { params, query, body };
}

/** Dotted paths of the strings (values or keys) holding U+0000, '' for the value itself. */
function nulFields(value: unknown, path: string[] = [], found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push(path.join('.'));
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) nulFields(item, [...path, String(i)], found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) found.push([...path, key.replaceAll('\u0000', '\\u0000')].join('.'));
      else nulFields(item, [...path, key], found);
    }
  }
  return found;
}

// An upload refused part-way (too large, wrong type) is answered at once. Reading all the rest
// would let a client make the server swallow any amount; closing at once is no better: closing a
// socket with unread bytes makes the kernel reset the connection, and the reset can reach the
// client before it has read the answer (a browser shows "connection reset", not "file too large").
// So after the answer the server reads and drops a little more (LINGER_BYTES, LINGER_MS), the way
// nginx's lingering close does, then closes. A client whose body ends within that keeps its
// connection.
const LINGER_BYTES = 4 * 1024 * 1024;
const LINGER_MS = 2000;

const closeUnreadBody: Middleware<AppState> = async (ctx, next) => {
  try {
    await next();
  } finally {
    if (!ctx.req.complete) ctx.res.once('finish', () => drainThenClose(ctx.req));
  }
};

function drainThenClose(req: IncomingMessage): void {
  if (req.complete) return;
  const { socket } = req;
  let left = LINGER_BYTES;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  const done = () => clearTimeout(timer);
  socket.once('close', done);
  req.once('end', done);
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left <= 0) socket.destroy();
  });
  req.resume();
}

const markPage: Middleware<AppState> = (ctx, next) => {
  ctx.state.page = true;
  // A page's form is sent only from this school's own pages. The CSRF token covers signed-in
  // forms; this also covers the forms posted before a session exists (signing in, accepting an
  // invitation), which another site could otherwise post to sign a visitor into its own account.
  if (ctx.method !== 'GET') {
    // (Koa 3's ctx.origin is the request's Origin header, not this site's origin.)
    const origin = ctx.get('origin');
    if (origin && origin !== `${ctx.protocol}://${ctx.host}`) throw forbidden('This form can only be sent from this school’s own pages.');
  }
  return next();
};

/** For `identify` routes: credentials that no longer sign anyone in leave the visitor anonymous. */
function anonymousWhenUnknown(error: unknown): Actor {
  if (error instanceof AppError && error.code === 'unauthenticated') return { type: 'anonymous' };
  throw error;
}

/** The browser session cookie. Whenever the site is HTTPS (always in production) only the
 * `__Host-` name counts: that prefix is what stops a sibling subdomain or a plain-http page from
 * planting a session cookie, and accepting the bare name as well would undo it. */
export function sessionCookie(ctx: { secure: boolean; cookies: { get: (name: string) => string | undefined } }, config: { env: string }): string | undefined {
  if (ctx.secure || config.env === 'production') return ctx.cookies.get(SECURE_COOKIE) || undefined;
  return ctx.cookies.get(SECURE_COOKIE) || ctx.cookies.get(COOKIE) || undefined;
}
