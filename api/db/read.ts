// Heavy reads on the read pool (READ_DATABASE_URL: the app role on a streaming standby): search,
// dashboards, the gradebook export. The request keeps its own session on the primary (sign-in,
// access, anything it writes); the heavy query runs in a second, READ ONLY tenant session on the
// standby, opened with the same tenant statement, so the same row-level security holds there.
// Unset (read pool = app pool): the request's own session, nothing else.
// A standby lags its primary (usually by milliseconds): use it only for reads that may be that old,
// and never for a read that must see what the same request just wrote.
import { withTenant } from '../../tenants/session.ts';
import type { Scope } from '../scope.ts';
import type { Databases } from './connection.ts';

export async function onReadPool<T>(dbs: Pick<Databases, 'app' | 'read'>, scope: Scope, fn: (scope: Scope) => Promise<T>): Promise<T> {
  const read = dbs.read ?? dbs.app;
  if (read === dbs.app) return fn(scope);
  // The primary session already admitted the request (a suspended school never gets here).
  return withTenant(read, { id: scope.tenant.id }, (db, tenant) => fn({ ...scope, db, tenant }), { readOnly: true, allowSuspended: true });
}
