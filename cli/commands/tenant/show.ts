import { Args } from '@oclif/core';
import { loadPlans } from '../../../api/billing/plans.ts';
import { storageUsage } from '../../../api/files/service.ts';
import { formatBytes } from '../../../api/files/upload.ts';
import { operatorScope, showTenant } from '../../../api/platform/provision.ts';
import { beginTenantSession, withPlatform } from '../../../tenants/session.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantShow extends EdifyCommand {
  static override summary = 'Show one school: status, address, people, classes and file storage';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(TenantShow);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const t = await showTenant(dbs.owner, args.slug);
    const storage = await withPlatform(dbs.owner, async (db) => {
      const tenant = await beginTenantSession(db, { id: t.id });
      return storageUsage(operatorScope(db, tenant, this.operator()), config.files, loadPlans(config.plansFile));
    });
    const result = {
      id: t.id,
      slug: t.slug,
      name: t.name,
      url: this.schoolUrl(config, t.slug),
      status: t.status,
      suspended_reason: t.suspended_reason,
      timezone: t.timezone,
      people: t.people,
      classes: t.classes,
      storage,
      created_at: new Date(t.created_at).toISOString(),
    };
    this.log(`${t.name} (${t.slug})  ${result.url}`);
    this.log(`Status:   ${t.status}${t.suspended_reason ? ` — ${t.suspended_reason}` : ''}`);
    this.log(`Timezone: ${t.timezone}`);
    this.log(`People:   ${t.people.admin} admins, ${t.people.teacher} teachers, ${t.people.student} students`);
    this.log(`Classes:  ${t.classes}`);
    const unscanned = storage.by_status.unscanned + storage.by_status.pending;
    this.log(
      `Storage:  ${formatBytes(storage.used_bytes)} of ${storage.limit_bytes === null ? 'unlimited' : formatBytes(storage.limit_bytes)}, ${storage.files} files${unscanned ? ` (${unscanned} not scanned)` : ''}`,
    );
    return result;
  }
}
