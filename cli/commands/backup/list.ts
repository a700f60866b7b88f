import path from 'node:path';
import { Flags } from '@oclif/core';
import { listBackups } from '../../../api/backup/service.ts';
import { backupTarget } from '../../../api/backup/targets.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class BackupList extends EdifyCommand {
  static override summary = 'List backup archives in a directory or bucket (default BACKUP_TARGET, else <EDIFY_DATA_DIR>/backups), newest first';
  static override flags = { dir: Flags.string({ description: 'Directory, or s3://bucket/prefix, to list' }) };

  async run() {
    const { flags } = await this.parse(BackupList);
    const config = this.loadConfig();
    const where = flags.dir ?? config.backup.target;
    if (where.startsWith('s3://')) {
      // A bucket: school and time from the names (nothing is downloaded).
      const target = backupTarget(where, config);
      const stored = (await target.list()).sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
      const backups = stored.map((b) => ({ file: `${target.location}${b.name}`, school: b.school, created_at: b.created_at.toISOString(), bytes: b.bytes }));
      this.log(
        backups.length
          ? table(backups.map((b) => ({ school: b.school, created_at: b.created_at, bytes: b.bytes, file: path.basename(b.file) })))
          : `No backups in ${where}.`,
      );
      return backups;
    }
    const dir = path.resolve(where);
    const backups = await listBackups(dir);
    const rows = backups.map((b) => ({
      school: b.school,
      created_at: b.created_at,
      bytes: b.bytes,
      encrypted: b.encrypted ? 'yes' : 'no',
      file: path.basename(b.file),
    }));
    this.log(rows.length ? table(rows) : `No backups in ${dir}.`);
    return backups;
  }
}
