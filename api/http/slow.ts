// Slow-request and slow-query logging (SLOW_REQUEST_MS, SLOW_QUERY_MS; docs/operations.md,
// Metrics and logs). Each request runs inside a timing context (AsyncLocalStorage, set by the
// access log), so a query knows the route it ran for and adds its time to the request's total.
// A slow query is logged with its SQL shape only: string and number literals become `?` (values
// are bound as $n by knex anyway; this catches any inlined into raw SQL), never bind values.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';

export type RequestTiming = {
  requestId: string | undefined;
  /** The declared route, once the router has matched it. */
  route: () => string | undefined;
  /** Time spent in queries (knex's query → response) and waiting for a pooled connection. */
  dbMs: number;
  waitMs: number;
  queries: number;
};

export const requestTiming = new AsyncLocalStorage<RequestTiming>();

type Log = { warn: (fields: object, message: string) => void };
type Query = { __knexQueryUid?: string; sql?: string };
type Pool = { on: (event: string, listener: (...args: unknown[]) => void) => void };

const watched = new WeakSet<Knex>();
/** Queries still running whose start we keep; past this many something is not answering them. */
const MAX_TRACKED = 10_000;

/** Logs queries on this pool that take at least thresholdMs (0: every query) and adds query and
 * connection-wait time to the current request's timing. Once per pool: the first caller's
 * threshold and log apply. */
export function watchSlowQueries(db: Knex, options: { pool: string; thresholdMs: number; log: Log }): void {
  if (watched.has(db)) return;
  watched.add(db);
  const started = new Map<string, { at: number; timing: RequestTiming | undefined }>();
  db.on('query', (query: Query) => {
    if (!query.__knexQueryUid) return;
    if (started.size >= MAX_TRACKED) started.clear();
    started.set(query.__knexQueryUid, { at: performance.now(), timing: requestTiming.getStore() });
  });
  const done = (query: Query) => {
    const uid = query?.__knexQueryUid;
    const start = uid ? started.get(uid) : undefined;
    if (!uid || !start) return;
    started.delete(uid);
    const ms = performance.now() - start.at;
    if (start.timing) {
      start.timing.dbMs += ms;
      start.timing.queries++;
    }
    if (ms >= options.thresholdMs) {
      options.log.warn(
        {
          pool: options.pool,
          ms: round(ms),
          sql: sqlShape(query.sql ?? ''),
          route: start.timing?.route(),
          request_id: start.timing?.requestId,
        },
        'slow query',
      );
    }
  };
  db.on('query-response', (_response: unknown, query: Query) => done(query));
  db.on('query-error', (_error: unknown, query: Query) => done(query));
  // Waits for a connection: tarn announces the request in the caller's context (so the request's
  // timing is found then) and its success later from whoever released a connection.
  const pool = (db.client as { pool?: Pool }).pool;
  if (!pool) return;
  const waiting = new Map<unknown, { at: number; timing: RequestTiming }>();
  pool.on('acquireRequest', (id) => {
    const timing = requestTiming.getStore();
    if (timing) waiting.set(id, { at: performance.now(), timing });
  });
  const acquired = (id: unknown) => {
    const wait = waiting.get(id);
    waiting.delete(id);
    if (wait) wait.timing.waitMs += performance.now() - wait.at;
  };
  pool.on('acquireSuccess', acquired);
  pool.on('acquireFail', acquired);
}

/** SQL with its literals replaced by `?`, whitespace collapsed, at most 500 characters. */
export function sqlShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "'?'")
    .replace(/(?<![$\w])-?\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

export const round = (ms: number) => Math.round(ms * 10) / 10;
