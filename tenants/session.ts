// The only code that sets app.tenant_id. A tenant session is a transaction on the app pool whose
// first statement finds the school and sets the transaction-local setting, so a pooled connection
// never carries one school's id into the next request.
// withPlatform is the explicit, rare, greppable way to work across schools (owner pool).
//
// Round trips (docs/performance.md, P4): the network wait, not PostgreSQL, dominates a short
// request, so withTenant sends BEGIN and the tenant statement (and the sign-in lookup) as ONE
// simple-query message, and a READ ONLY transaction does not make its caller wait for COMMIT.
// A single-query read therefore waits for 2 round trips, not 4.
//
// How, on public APIs only (knex and pg are pinned exactly in package.json; the assumptions are
// tested in test/tenants/session-contract.test.ts):
//  - The session takes a connection from the app pool itself (knex's client.acquireConnection, so
//    DB_POOL_MAX, the acquire timeout and its 503 are unchanged) and hands knex a transaction on it
//    with `transaction(fn, { connection })`. Knex never releases a connection it was given.
//  - The connection knex gets is a SessionConnection around the pg client: knex's opening BEGIN
//    is sent as the session's one message instead, and a READ ONLY transaction's COMMIT is answered
//    to knex at once while the real COMMIT travels. Every other query goes to pg unchanged.
//  - The pooled connection goes back to the pool only after that COMMIT is answered (and after a
//    check that no transaction is left open), so nothing is ever queued behind it on the client.
// Behind pgbouncer in transaction mode this stays valid: simple queries and unnamed statements
// only, and every setting is transaction-local.
import type { Knex } from 'knex';
import { type ClientBase, escapeLiteral, type QueryResult } from 'pg';
import { AppError, notFound } from '../api/errors.ts';
import type { Tenant } from '../api/scope.ts';
import { APP_ROLE } from './schema.ts';

export type TenantKey = { id: string } | { slug: string };

/** A tenant session's bounded wait (docs/operations.md, Bounded waits): `statement_timeout` and
 * `lock_timeout` for the rest of the transaction, set by the tenant statement itself (no extra
 * round trip). They hold whether the connection is direct or behind pgbouncer, where a request's
 * wait for a server connection is bounded by pgbouncer's own `query_wait_timeout`. 0: no limit. */
export type SessionLimits = { statementTimeoutMs: number; lockTimeoutMs: number };

const poolLimits = new WeakMap<Knex, SessionLimits>();

/** Every withTenant session on this pool gets these limits (api/db/connection.ts sets them on the
 * app and read pools from the configuration). */
export function limitSessions(pool: Knex, limits: SessionLimits): void {
  poolLimits.set(pool, limits);
}

export type SessionOptions = {
  readOnly?: boolean;
  /** Overrides the pool's limits for this session (false: none, for a long job). */
  limits?: SessionLimits | false;
  allowSuspended?: boolean;
  /** One more statement (literals only) to run right after the school is set, in the same
   * message: its rows reach fn as `prefetched` (the request's sign-in lookup). */
  prefetch?: string | undefined;
};

export const TENANT_FIELDS = [
  'id',
  'slug',
  'name',
  'status',
  'suspended_reason',
  'timezone',
  'settings',
  'seat_limit',
  'plan',
  'billing_status',
  'trial_ends_at',
  'current_period_end',
  'past_due_since',
  'access_level',
  'created_at',
  'updated_at',
];
const TENANT_COLUMNS = TENANT_FIELDS.join(', ');

export async function withTenant<T>(
  app: Knex,
  key: TenantKey,
  fn: (db: Knex.Transaction, tenant: Tenant, prefetched?: unknown[]) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const readOnly = options.readOnly ?? false;
  const checked = (tenant: Tenant) => {
    if (tenant.status === 'suspended' && !options.allowSuspended) {
      throw new AppError('tenant-suspended', tenant.suspended_reason ? `This school is suspended: ${tenant.suspended_reason}` : 'This school is suspended.');
    }
    return tenant;
  };
  // Inside an outer transaction knex opens a savepoint, not a transaction: keep the plain path.
  if (app.isTransaction) return app.transaction(async (db) => fn(db, checked(await beginTenantSession(db, key))), { readOnly });
  const limits = options.limits === false ? undefined : (options.limits ?? poolLimits.get(app));
  const lookup = tenantStatement(key, 'inline', limits);
  if (!lookup) throw notFound('The school');
  // A simple-query message cannot carry bind parameters: the key is inlined (checked or quoted).
  // When no school matched, set_config never ran: the prefetch then sees no rows (RLS).
  const opening = [`begin${readOnly ? ' transaction read only' : ''}`, lookup.sql, ...(options.prefetch ? [options.prefetch] : [])].join(';\n');
  // Waits at most the pool's acquire timeout (a KnexTimeoutError, answered 503 by api/errors.ts).
  const pooled: ClientBase = await app.client.acquireConnection();
  const session = new SessionConnection(pooled, opening, readOnly);
  const done = app.transaction(
    async (db: Knex.Transaction) => {
      if (!session.tenant) throw notFound('The school');
      return fn(db, checked(session.tenant), session.prefetched);
    },
    { connection: session, readOnly },
  );
  // Not awaited by the caller: a read-only COMMIT may still be on its way.
  void done
    .then(
      () => session.end(),
      () => session.end(),
    )
    .finally(() => app.client.releaseConnection(pooled));
  return done;
}

/** Resolves the school and sets app.tenant_id in the same statement, inside a transaction the
 * caller already holds (the platform scope, or withTenant nested in a transaction). */
export async function beginTenantSession(db: Knex.Transaction, key: TenantKey): Promise<Tenant> {
  const lookup = tenantStatement(key, 'bound');
  if (!lookup) throw notFound('The school');
  const { rows } = await db.raw(lookup.sql, lookup.bindings);
  const tenant = tenantRow(rows);
  if (!tenant) throw notFound('The school');
  return tenant;
}

/** The tenant statement; its SQL is written here only. It resolves the school and sets
 * app.tenant_id in one statement: if no school matches, set_config is never evaluated and RLS keeps
 * the transaction seeing nothing. It also drops to the app role for the rest of the transaction:
 * on the app pool that changes nothing; in the platform scope (owner pool, possibly a superuser
 * locally) it means work inside a school is bound by exactly the same row-level security as a
 * request. `inline` puts the key in the SQL (a uuid checked, anything else quoted with pg's
 * escapeLiteral) for a simple-query message; `bound` passes it as knex's one binding.
 * With `limits`, it also sets statement_timeout and lock_timeout transaction-locally (whole
 * milliseconds, checked, inlined), from the next statement on; like the tenant, only when a
 * school matched.
 * A key no school can have (not a uuid, a NUL byte) gives undefined: the school is not found. */
function tenantStatement(key: TenantKey, form: 'inline' | 'bound', limits?: SessionLimits): { sql: string; bindings: string[] } | undefined {
  const [column, value] = 'id' in key ? ['id', key.id] : ['slug', key.slug];
  if (column === 'id' && !UUID.test(value)) return undefined;
  if (value.includes('\0')) return undefined;
  const waits = limits
    ? ` || set_config('statement_timeout', '${milliseconds(limits.statementTimeoutMs)}', true) || set_config('lock_timeout', '${milliseconds(limits.lockTimeoutMs)}', true)`
    : '';
  const sql = `select ${TENANT_COLUMNS}, set_config('app.tenant_id', id::text, true) || set_config('role', '${APP_ROLE}', true)${waits} as _session
      from tenants where ${column} = ${form === 'inline' ? escapeLiteral(value) : '?'}`;
  return { sql, bindings: form === 'inline' ? [] : [value] };
}

function milliseconds(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`A session limit must be whole milliseconds, not ${value}`);
  return value;
}

function tenantRow(rows: unknown[] | undefined): Tenant | undefined {
  const row = rows?.[0] as (Tenant & { _session?: string }) | undefined;
  if (row) delete row._session;
  return row;
}

type Callback = (error: Error | null, result?: unknown) => void;
const COMMITTED = { command: 'COMMIT', rowCount: null, oid: 0, rows: [], fields: [] } as unknown as QueryResult;

/** The connection knex runs the session's transaction on: the pooled pg client, except for the
 * transaction's first statement (knex's BEGIN, sent as the session's opening message instead) and
 * a READ ONLY transaction's COMMIT (answered at once; end() waits for the real one). Knex calls
 * only `query` on a connection it was given (and reads processID to cancel a query). */
class SessionConnection {
  tenant: Tenant | undefined;
  prefetched: unknown[] | undefined;
  readonly client: ClientBase;
  readonly opening: string;
  readonly readOnly: boolean;
  #opened = false;
  #commit: Promise<unknown> = Promise.resolve();

  constructor(client: ClientBase, opening: string, readOnly: boolean) {
    this.client = client;
    this.opening = opening;
    this.readOnly = readOnly;
  }

  get processID(): number | undefined {
    return (this.client as { processID?: number }).processID;
  }

  query(config: unknown, values?: unknown, callback?: Callback): unknown {
    const sql = typeof config === 'string' ? config : (config as { text?: unknown } | undefined)?.text;
    const reply = typeof values === 'function' ? (values as Callback) : callback;
    if (!this.#opened) {
      this.#opened = true;
      // Nothing is sent then: the transaction fails and the connection goes back unchanged.
      if (typeof sql !== 'string' || !/^begin\b/i.test(sql) || !reply) {
        throw new Error(`The tenant session expected knex to open with BEGIN, not ${JSON.stringify(sql)} (test/tenants/session-contract.test.ts)`);
      }
      this.client.query(this.opening).then(
        (result) => {
          const results = result as unknown as QueryResult[];
          this.tenant = tenantRow(results[1]?.rows);
          this.prefetched = results[2]?.rows;
          reply(null, results[0]);
        },
        // BEGIN may have run before a later statement of the message failed: end the transaction
        // before knex hears of the error (pg answers a query's error before the connection is
        // ready again, and takes the next query after it, as in its own BEGIN/ROLLBACK example).
        (error: Error) => {
          this.client.query('ROLLBACK').then(
            () => reply(error),
            () => reply(error),
          );
        },
      );
      return undefined;
    }
    if (this.readOnly && reply && typeof sql === 'string' && /^commit;?$/i.test(sql)) {
      // Everything a READ ONLY transaction needed is read, so its caller need not wait for the
      // COMMIT; it can fail only with the connection itself (which knex then discards).
      this.#commit = this.client.query(sql).catch(() => undefined);
      queueMicrotask(() => reply(null, COMMITTED));
      return undefined;
    }
    return this.client.query(config as never, values as never, callback as never);
  }

  /** Once knex is done with the transaction: waits for a COMMIT knex was not made to wait for,
   * and rolls back whatever is still open (nothing, unless knex ended without COMMIT or ROLLBACK),
   * so the pool never hands out a connection inside a transaction. */
  async end(): Promise<void> {
    await this.#commit;
    if (this.client.getTransactionStatus() !== 'I') await this.client.query('ROLLBACK').catch(() => undefined);
  }
}

export async function withPlatform<T>(owner: Knex, fn: (db: Knex.Transaction) => Promise<T>): Promise<T> {
  return owner.transaction(fn);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);
