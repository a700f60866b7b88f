// The only code that sets app.tenant_id. A tenant session is a transaction on the app pool whose
// first statement finds the school and sets the transaction-local setting, so a pooled connection
// never carries one school's id into the next request.
// withPlatform is the explicit, rare, greppable way to work across schools (owner pool).
//
// Round trips (docs/performance.md, P4): the network wait, not PostgreSQL, dominates a short
// request, so withTenant sends BEGIN and the tenant statement as ONE simple-query message, and a
// READ ONLY transaction does not wait for its COMMIT (pg's client queues whatever the next user of
// the connection sends behind it). A single-query read therefore waits for 2 round trips, not 4.
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { escapeLiteral, type QueryResult } from 'pg';
import { AppError, notFound } from '../api/errors.ts';
import type { Tenant } from '../api/scope.ts';
import { APP_ROLE } from './schema.ts';

export type TenantKey = { id: string } | { slug: string };

export type SessionOptions = {
  readOnly?: boolean;
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
  const opening = sessionStatement(key, readOnly);
  if (!opening) throw notFound('The school');
  // When no school matched, set_config never ran: the prefetch then sees no rows (RLS).
  const statement = options.prefetch ? `${opening};\n${options.prefetch}` : opening;
  const trx: TenantTransaction = new TenantTransaction(
    app.client,
    async (db: Knex.Transaction) => {
      if (!trx.tenant) throw notFound('The school');
      return fn(db, checked(trx.tenant), trx.prefetched);
    },
    { userParams: app.userParams ?? {}, doNotRejectOnRollback: true, readOnly },
    statement,
  );
  return trx as unknown as Promise<T>;
}

/** Resolves the school and sets app.tenant_id in the same statement. If no school matches,
 * set_config is never evaluated and RLS keeps the transaction seeing nothing.
 * It also drops to the app role for the rest of the transaction: on the app pool that changes
 * nothing; in the platform scope (owner pool, possibly a superuser locally) it means work inside
 * a school is bound by exactly the same row-level security as a request. */
export async function beginTenantSession(db: Knex.Transaction, key: TenantKey): Promise<Tenant> {
  const [column, value] = 'id' in key ? ['id', key.id] : ['slug', key.slug];
  if (column === 'id' && !UUID.test(value)) throw notFound('The school');
  const { rows } = await db.raw(
    `select ${TENANT_COLUMNS}, set_config('app.tenant_id', id::text, true) || set_config('role', '${APP_ROLE}', true) as _session
       from tenants where ${column} = ?`,
    [value],
  );
  const row = rows[0] as (Tenant & { _session?: string }) | undefined;
  if (!row) throw notFound('The school');
  delete row._session;
  return row;
}

/** BEGIN and the tenant statement as one simple-query message. A simple query cannot carry bind
 * parameters, so the key is checked (a uuid) or quoted with pg's escapeLiteral; a key no school
 * can have (a NUL byte) is refused here, as the lookup would find nothing anyway. */
function sessionStatement(key: TenantKey, readOnly: boolean): string | undefined {
  const [column, value] = 'id' in key ? ['id', key.id] : ['slug', key.slug];
  if (column === 'id' && !UUID.test(value)) return undefined;
  if (value.includes('\0')) return undefined;
  return `begin${readOnly ? ' transaction read only' : ''};
    select ${TENANT_COLUMNS}, set_config('app.tenant_id', id::text, true) || set_config('role', '${APP_ROLE}', true) as _session
      from tenants where ${column} = ${escapeLiteral(value)}`;
}

// knex's PostgreSQL transaction, told to open with our combined statement instead of a bare
// BEGIN. knex exports no name for the class; its file path has been stable since knex 0.95.
type KnexTransactionInternals = {
  trxClient: { query: (conn: unknown, sql: string) => Promise<{ response: QueryResult | QueryResult[] }> };
  readOnly?: boolean;
  _completed: boolean;
  _resolver: (value: unknown) => void;
  begin(conn: unknown): Promise<unknown>;
  commit(conn: unknown, value: unknown): Promise<unknown>;
};
const PgTransaction = createRequire(import.meta.url)('knex/lib/dialects/postgres/execution/pg-transaction.js') as new (
  client: unknown,
  container: (db: Knex.Transaction) => Promise<unknown>,
  config: { userParams: Record<string, unknown>; doNotRejectOnRollback: boolean; readOnly: boolean },
) => KnexTransactionInternals;

class TenantTransaction extends PgTransaction {
  statement: string;
  tenant: Tenant | undefined;
  prefetched: unknown[] | undefined;

  constructor(
    client: unknown,
    container: (db: Knex.Transaction) => Promise<unknown>,
    config: { userParams: Record<string, unknown>; doNotRejectOnRollback: boolean; readOnly: boolean },
    statement: string,
  ) {
    // knex starts the transaction on a later tick, so the statement is set before begin() runs.
    super(client, container, config);
    this.statement = statement;
  }

  override begin(conn: unknown): Promise<unknown> {
    return this.trxClient.query(conn, this.statement).then(
      ({ response }) => {
        const results = Array.isArray(response) ? response : [response];
        const row = results[1]?.rows[0] as (Tenant & { _session?: string }) | undefined;
        if (row) delete row._session;
        this.tenant = row;
        this.prefetched = results[2]?.rows;
      },
      async (error: unknown) => {
        // BEGIN may have run before the lookup failed: never hand an open transaction to the pool.
        await this.trxClient.query(conn, 'ROLLBACK').catch(() => undefined);
        throw error;
      },
    );
  }

  override commit(conn: unknown, value: unknown): Promise<unknown> {
    if (!this.readOnly) return super.commit(conn, value);
    // Everything a READ ONLY transaction needed is already read, so the caller need not wait for
    // the COMMIT: it is queued on the connection now (before the pool can hand the connection to
    // anyone), and pg's client sends the next user's first statement only after it completes.
    // It can fail only with the connection itself, which knex then marks as disposed.
    const sent = this.trxClient.query(conn, 'COMMIT;');
    this._completed = true;
    this._resolver(value);
    return sent.catch(() => undefined);
  }
}

export async function withPlatform<T>(owner: Knex, fn: (db: Knex.Transaction) => Promise<T>): Promise<T> {
  return owner.transaction(fn);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);
