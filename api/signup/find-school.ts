// "Find my school" on the platform site: the address gets one email listing the schools where it
// has an active account, each with its sign-in address (no sign-in token: the email only says
// where to go). The page answers the same whatever is found, and before anything is looked up:
// the search runs after the answer, so neither the words nor the timing tell a visitor whether
// an address belongs to any school. Nothing is sent when no school matches (the form cannot be
// used to send mail to strangers), and the route is rate limited per visitor and per address.
//
// Looking across schools means entering each one: users are behind forced row-level security,
// so the search walks the active schools in one platform transaction, entering each school's
// tenant session in turn (one indexed query per school, on users_tenant_email).

import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import type { AppDeps } from '../app-deps.ts';
import { schoolUrl } from '../config.ts';

export type FoundSchool = { name: string; url: string };

/** Every active school where `email` has an active account. */
export async function schoolsOf(deps: Pick<AppDeps, 'dbs' | 'config'>, email: string): Promise<FoundSchool[]> {
  const address = email.trim().toLowerCase();
  return withPlatform(deps.dbs.owner, async (db) => {
    const schools: { id: string }[] = await db('tenants').where({ status: 'active' }).orderBy('name').select('id');
    const found: FoundSchool[] = [];
    for (const school of schools) {
      const tenant = await beginTenantSession(db, { id: school.id });
      const user = await db('users').whereRaw('lower(email) = ?', [address]).where({ status: 'active' }).first('id');
      if (user) found.push({ name: tenant.name, url: `${schoolUrl(deps.config, tenant.slug)}/sign-in` });
    }
    return found;
  });
}

/** Starts the search and returns at once; the email (if any) is queued as a platform email. */
export async function requestSchoolSearch(deps: AppDeps, email: string): Promise<void> {
  const search = async () => {
    const schools = await schoolsOf(deps, email);
    if (schools.length === 0 || !deps.jobs) return;
    const job = { tenant_id: null, to: email.trim(), template: 'find-school', sealed: deps.secretBox.seal(JSON.stringify({ schools })) };
    await deps.jobs.send('email', job);
  };
  void search().catch((error) => deps.log.error({ err: error }, 'find my school: the search failed'));
}
