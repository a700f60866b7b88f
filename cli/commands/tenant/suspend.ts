import { Args, Flags } from '@oclif/core';
import { setTenantStatus } from '../../../api/platform/provision.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class TenantSuspend extends EdifyCommand {
  static override summary = 'Suspend a school: its users are refused with the reason until it is resumed';
  static override args = { slug: Args.string({ required: true }) };
  static override flags = { reason: Flags.string({ required: true, description: 'Shown to the school’s users' }), yes: yesFlag };

  async run() {
    const { args, flags } = await this.parse(TenantSuspend);
    await this.confirm(`Suspend ${args.slug}? Everyone at the school loses access.`, args.slug, flags.yes);
    const dbs = await this.database(this.loadConfig());
    const t = await setTenantStatus(dbs.owner, args.slug, { status: 'suspended', reason: flags.reason }, this.operator());
    this.log(`Suspended ${t.slug}: ${t.suspended_reason}`);
    return { slug: t.slug, status: t.status, suspended_reason: t.suspended_reason };
  }
}
