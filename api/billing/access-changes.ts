// Records a school's change of access (full ↔ read-only) once: audited and emailed to its admins
// (queued in the same transaction). Webhooks record the changes they cause; a change that time
// alone causes (a trial or grace period running out) is recorded by the worker's school tick
// (api/jobs/timed.ts), or by the first request after it if that comes sooner.

import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import type { AppDeps } from '../app-deps.ts';
import { audit } from '../audit/service.ts';
import { schoolUrl } from '../config.ts';
import { createScope, type Tenant } from '../scope.ts';
import type { Access } from './access.ts';
import { adminsOf, type BillingNotice, queueBillingNotice } from './service.ts';

export async function recordAccessChange(
  deps: Pick<AppDeps, 'dbs' | 'config' | 'jobs' | 'secretBox'>,
  tenant: Pick<Tenant, 'id' | 'access_level'>,
  access: Access,
): Promise<void> {
  await withPlatform(deps.dbs.owner, async (db): Promise<void> => {
    // Conditional on the old value: concurrent requests record the change once.
    const changed = await db('tenants').where({ id: tenant.id, access_level: tenant.access_level }).update({ access_level: access.level });
    if (changed === 0) return;
    const current = await beginTenantSession(db, { id: tenant.id });
    const actor = { type: 'system' as const, label: 'billing-clock' };
    await audit(
      createScope({ db, tenant: current, actor }),
      'billing.access_changed',
      { type: 'tenant', id: tenant.id },
      { from: tenant.access_level, to: access.level },
    );
    const message =
      access.level === 'read_only'
        ? `The school is now read-only. ${access.banner ?? ''} Everyone can still sign in and download their work.`
        : 'Full access is back. Thank you!';
    const notice: BillingNotice = { school: current, admins: await adminsOf(db), message };
    const outbox = deps.jobs && { jobs: deps.jobs, box: deps.secretBox };
    await queueBillingNotice(db, outbox, notice, schoolUrl(deps.config, current.slug));
  });
}
