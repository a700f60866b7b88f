import path from 'node:path';
import { Flags } from '@oclif/core';
import { listBackups } from '../../../api/backup/service.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class BackupList extends EdifyCommand {
  static override summary = 'List backup archives in a directory (default <EDIFY_DATA_DIR>/backups), newest first';
  static override flags = { dir: Flags.string({ description: 'Directory to list' }) };

  async run() {
    const { flags } = await this.parse(BackupList);
    const dir = path.resolve(flags.dir ?? path.join(this.loadConfig().dataDir, 'backups'));
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
