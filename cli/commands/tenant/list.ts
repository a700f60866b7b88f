import { Flags } from '@oclif/core';
import { listTenants } from '../../../api/platform/provision.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class TenantList extends EdifyCommand {
  static override summary = 'List schools';
  static override flags = { status: Flags.string({ options: ['active', 'suspended'], description: 'Only schools with this status' }) };

  async run() {
    const { flags } = await this.parse(TenantList);
    const dbs = await this.database(this.loadConfig());
    const tenants = await listTenants(dbs.owner, { status: flags.status as 'active' | 'suspended' | undefined });
    const rows = tenants.map((t) => ({ slug: t.slug, name: t.name, status: t.status, timezone: t.timezone, created_at: new Date(t.created_at).toISOString() }));
    this.log(rows.length ? table(rows) : 'No schools yet. Create one with `edify tenant:create`.');
    return rows;
  }
}
