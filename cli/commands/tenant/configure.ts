import { Args, Flags } from '@oclif/core';
import { configureTenant } from '../../../api/platform/provision.ts';
import { settingsOf } from '../../../api/school/service.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantConfigure extends EdifyCommand {
  static override summary = 'Change a school’s seat limit, 2FA policy, CORS origins or colour';
  static override examples = [
    '<%= config.bin %> tenant:configure lincoln --seats 600',
    '<%= config.bin %> tenant:configure lincoln --require-2fa --cors-origins https://portal.lincoln.org',
    '<%= config.bin %> tenant:configure lincoln --no-seat-limit --no-require-2fa --cors-origins ""',
  ];
  static override args = { slug: Args.string({ required: true }) };
  static override flags = {
    seats: Flags.integer({ min: 0, description: 'Seats (active and invited teachers and students) the plan allows' }),
    'no-seat-limit': Flags.boolean({ default: false, exclusive: ['seats'], description: 'Remove the seat limit' }),
    'require-2fa': Flags.boolean({ allowNo: true, description: 'Require two-factor sign-in for admins and teachers' }),
    'cors-origins': Flags.string({ description: 'Comma-separated browser origins allowed to call the API ("" for none)' }),
    color: Flags.string({ description: 'The school’s colour in emails, like #2457c5' }),
  };

  async run() {
    const { args, flags } = await this.parse(TenantConfigure);
    const settings: Record<string, unknown> = {};
    if (flags['require-2fa'] !== undefined) settings.require_two_factor = flags['require-2fa'];
    if (flags['cors-origins'] !== undefined)
      settings.cors_origins = flags['cors-origins']
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
    if (flags.color !== undefined) settings.color = flags.color;
    const seat = flags['no-seat-limit'] ? null : flags.seats;
    if (seat === undefined && Object.keys(settings).length === 0) this.error('Nothing to change: pass at least one flag (see --help).', { exit: 1 });
    const dbs = await this.database(this.loadConfig());
    const tenant = await configureTenant(
      dbs.owner,
      args.slug,
      { ...(seat !== undefined ? { seat_limit: seat } : {}), ...(Object.keys(settings).length ? { settings } : {}) },
      this.operator(),
    );
    const s = settingsOf(tenant);
    const result = { slug: tenant.slug, seat_limit: tenant.seat_limit, require_two_factor: s.require_two_factor, cors_origins: s.cors_origins, color: s.color };
    this.log(
      `${tenant.slug}: seats ${tenant.seat_limit ?? 'unlimited'}, 2FA for staff ${s.require_two_factor ? 'required' : 'optional'}, CORS ${s.cors_origins.join(', ') || 'none'}`,
    );
    return result;
  }
}
