import { Flags } from '@oclif/core';
import { platformAudit } from '../../../api/audit/platform.ts';
import { retention } from '../../../api/backup/retention.ts';
import { backupTarget } from '../../../api/backup/targets.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';
import { table } from '../../output.ts';

export default class BackupPrune extends EdifyCommand {
  static override summary = 'Apply the retention to a backup directory or bucket (a dry run unless --yes)';
  static override description =
    'Per school, keeps the newest archive of each of the last N days, ISO weeks and months that have one (UTC), and always the newest; lists (and with --yes deletes) the rest. The target is BACKUP_TARGET (default <EDIFY_DATA_DIR>/backups) or --target: a directory or s3://bucket/prefix (with the S3_* endpoint and credentials).';
  static override examples = [
    '<%= config.bin %> backup:prune --keep-daily 7 --keep-weekly 4 --keep-monthly 6',
    '<%= config.bin %> backup:prune --target s3://edify-backups/nightly --yes',
  ];
  static override flags = {
    target: Flags.string({ description: 'Directory or s3://bucket/prefix (default BACKUP_TARGET)' }),
    'keep-daily': Flags.integer({ description: 'Days to keep one archive of (default BACKUP_KEEP_DAILY, 7)', min: 0 }),
    'keep-weekly': Flags.integer({ description: 'ISO weeks to keep one archive of (default BACKUP_KEEP_WEEKLY, 4)', min: 0 }),
    'keep-monthly': Flags.integer({ description: 'Months to keep one archive of (default BACKUP_KEEP_MONTHLY, 6)', min: 0 }),
    yes: yesFlag,
  };

  async run() {
    const { flags } = await this.parse(BackupPrune);
    const config = this.loadConfig();
    const target = backupTarget(flags.target ?? config.backup.target, config);
    const keep = {
      daily: flags['keep-daily'] ?? config.backup.keep.daily,
      weekly: flags['keep-weekly'] ?? config.backup.keep.weekly,
      monthly: flags['keep-monthly'] ?? config.backup.keep.monthly,
    };
    const decisions = retention(await target.list(), keep);
    const rows = decisions.map((d) => ({
      school: d.backup.school,
      created_at: d.backup.created_at.toISOString(),
      action: d.keep ? 'keep' : flags.yes ? 'deleted' : 'delete',
      why: d.reasons.join(', '),
      name: d.backup.name,
    }));
    const doomed = decisions.filter((d) => !d.keep).map((d) => d.backup.name);
    if (flags.yes) {
      for (const name of doomed) await target.remove(name);
      if (doomed.length) {
        const dbs = await this.database(config);
        await platformAudit(dbs.owner, this.operator(), 'backup.pruned', null, { target: target.location, keep, removed: doomed });
      }
    }
    this.log(rows.length ? table(rows) : `No backups in ${target.location}.`);
    this.log(
      flags.yes
        ? `Deleted ${doomed.length} of ${decisions.length} archive(s) in ${target.location}.`
        : `Dry run: ${doomed.length} of ${decisions.length} archive(s) in ${target.location} would be deleted. Pass --yes to delete them.`,
    );
    return {
      target: target.location,
      keep,
      dry_run: !flags.yes,
      kept: decisions.filter((d) => d.keep).map((d) => ({ name: d.backup.name, school: d.backup.school, reasons: d.reasons })),
      [flags.yes ? 'deleted' : 'would_delete']: doomed,
    };
  }
}
