import { Args } from '@oclif/core';
import { showTenant } from '../../../tenants/provision.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantShow extends EdifyCommand {
  static override summary = 'Show one school: status, address, people and classes';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(TenantShow);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const t = await showTenant(dbs.owner, args.slug);
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
      created_at: new Date(t.created_at).toISOString(),
    };
    this.log(`${t.name} (${t.slug})  ${result.url}`);
    this.log(`Status:   ${t.status}${t.suspended_reason ? ` — ${t.suspended_reason}` : ''}`);
    this.log(`Timezone: ${t.timezone}`);
    this.log(`People:   ${t.people.admin} admins, ${t.people.teacher} teachers, ${t.people.student} students`);
    this.log(`Classes:  ${t.classes}`);
    return result;
  }
}
