// The only code that sets app.tenant_id. A tenant session is a transaction on the app pool whose
// first statement finds the school and sets the transaction-local setting in one round trip, so
// a pooled connection never carries one school's id into the next request.
// withPlatform is the explicit, rare, greppable way to work across schools (owner pool).
import type { Knex } from 'knex';
import { AppError, notFound } from '../api/errors.ts';
import type { Tenant } from '../api/scope.ts';
import { APP_ROLE } from './schema.ts';

export type TenantKey = { id: string } | { slug: string };

export type SessionOptions = { readOnly?: boolean; allowSuspended?: boolean };

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
  fn: (db: Knex.Transaction, tenant: Tenant) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  return app.transaction(
    async (db) => {
      const tenant = await beginTenantSession(db, key);
      if (tenant.status === 'suspended' && !options.allowSuspended) {
        throw new AppError('tenant-suspended', tenant.suspended_reason ? `This school is suspended: ${tenant.suspended_reason}` : 'This school is suspended.');
      }
      return fn(db, tenant);
    },
    { readOnly: options.readOnly ?? false },
  );
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

export async function withPlatform<T>(owner: Knex, fn: (db: Knex.Transaction) => Promise<T>): Promise<T> {
  return owner.transaction(fn);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);
