import { Args, Flags } from '@oclif/core';
import { listPlatformAudit } from '../../../api/audit/platform.ts';
import { AppError } from '../../../api/errors.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class AuditList extends EdifyCommand {
  static override summary = 'The platform audit: what operators did to schools (newest first)';
  static override description =
    'Every school creation, suspension, rename, export, backup, restore and deletion, with who did it (the OS user and host for the CLI). Append-only. A school’s own audit log is at /admin/audit and GET /api/v1/audit-events.';
  static override examples = ['<%= config.bin %> audit:list', '<%= config.bin %> audit:list lincoln --since 2026-11-01 --json'];
  static override args = { slug: Args.string({ description: 'Only this school (its current or a past subdomain)' }) };
  static override flags = {
    since: Flags.string({ description: 'Only from this time on (ISO 8601 date or time)' }),
    action: Flags.string({ description: 'Only this action, e.g. tenant.deleted' }),
    limit: Flags.integer({ description: 'At most this many', default: 100, min: 1, max: 10_000 }),
  };

  async run() {
    const { args, flags } = await this.parse(AuditList);
    const since = flags.since ? new Date(flags.since) : undefined;
    if (since && Number.isNaN(since.getTime())) throw new AppError('validation-failed', `--since "${flags.since}" is not a date (use e.g. 2026-11-01).`);
    const dbs = await this.database(this.loadConfig());
    const entries = await listPlatformAudit(dbs.owner, { slug: args.slug, since, action: flags.action, limit: flags.limit });
    this.log(
      entries.length
        ? table(
            entries.map((e) => ({
              at: e.occurred_at,
              action: e.action,
              school: e.school_slug ?? '',
              actor: e.actor,
              details: JSON.stringify(e.details),
            })),
          )
        : 'No audit records.',
    );
    return { entries };
  }
}
