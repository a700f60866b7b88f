// Nightly backups when BACKUP_SCHEDULE is set: the cron job `backup` makes one archive per school
// (active and suspended: a suspended school's data still matters), one after another so the
// database serves requests meanwhile, stores each in BACKUP_TARGET, then applies the retention
// (BACKUP_KEEP_*). A school that fails is logged and the others go on; the job fails at the end
// so the failure shows in `edify jobs:list --failed`.
import type { Logger } from 'pino';
import { platformAudit } from '../audit/platform.ts';
import type { Config } from '../config.ts';
import type { Databases } from '../db/connection.ts';
import { keyFrom } from './archive.ts';
import { retention } from './retention.ts';
import { createBackup } from './service.ts';
import { type BackupTarget, backupTarget } from './targets.ts';

export type ScheduledBackupReport = { schools: number; stored: string[]; failed: string[]; pruned: string[] };

/** `only`: these schools alone (tests share one database with many schools). */
export async function scheduledBackups(
  deps: { config: Pick<Config, 'backup' | 'dataDir'>; dbs: Pick<Databases, 'owner' | 'ownerUrl'>; log: Logger; clock: () => Date },
  options: { target?: BackupTarget; only?: string[] } = {},
): Promise<ScheduledBackupReport> {
  const target = options.target ?? backupTarget(deps.config.backup.target, deps.config);
  const key = await keyFrom({ envKey: process.env.EDIFY_BACKUP_KEY, passphraseFile: undefined });
  const query = deps.dbs.owner('tenants').orderBy('slug').select('slug');
  if (options.only) query.whereIn('slug', options.only);
  const schools: { slug: string }[] = await query;
  const report: ScheduledBackupReport = { schools: schools.length, stored: [], failed: [], pruned: [] };
  const actor = { label: 'backup-schedule', via: 'worker' };
  for (const { slug } of schools) {
    try {
      const made = await createBackup({ ownerUrl: deps.dbs.ownerUrl, slug, dir: target.staging, ...(key ? { key } : {}), now: deps.clock() });
      const where = await target.store(made.file);
      report.stored.push(where);
      await platformAudit(deps.dbs.owner, actor, 'tenant.backed_up', made.school, { file: where, rows: made.rows, bytes: made.bytes, scheduled: true });
    } catch (error) {
      report.failed.push(slug);
      deps.log.error({ err: error, school: slug }, 'scheduled backup failed');
    }
  }
  const decisions = retention(await target.list(), deps.config.backup.keep);
  for (const d of decisions.filter((x) => !x.keep)) {
    await target.remove(d.backup.name);
    report.pruned.push(d.backup.name);
  }
  if (report.pruned.length) await platformAudit(deps.dbs.owner, actor, 'backup.pruned', null, { target: target.location, removed: report.pruned });
  deps.log.info({ ...report, stored: report.stored.length, pruned: report.pruned.length }, 'scheduled backups done');
  if (report.failed.length) throw new Error(`Scheduled backups failed for ${report.failed.join(', ')} (the others were stored).`);
  return report;
}
