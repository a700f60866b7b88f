import { Args } from '@oclif/core';
import { setTenantStatus } from '../../../api/platform/provision.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantResume extends EdifyCommand {
  static override summary = 'Resume a suspended school';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(TenantResume);
    const dbs = await this.database(this.loadConfig());
    const t = await setTenantStatus(dbs.owner, args.slug, { status: 'active' }, this.operator());
    this.log(`Resumed ${t.slug}`);
    return { slug: t.slug, status: t.status };
  }
}
