import { Args, Flags } from '@oclif/core';
import { keyFrom } from '../../../api/backup/archive.ts';
import { verifyBackup } from '../../../api/backup/service.ts';
import { EdifyCommand } from '../../base.ts';

export default class BackupVerify extends EdifyCommand {
  static override summary = 'Check a backup archive: decryption, every checksum, the manifest (no database needed)';
  static override args = { file: Args.string({ required: true }) };
  static override flags = { 'passphrase-file': Flags.string({ description: 'Passphrase file for an archive encrypted with one' }) };

  async run() {
    const { args, flags } = await this.parse(BackupVerify);
    const key = await keyFrom({ envKey: process.env.EDIFY_BACKUP_KEY, passphraseFile: flags['passphrase-file'] });
    const result = await verifyBackup(args.file, key);
    this.log(
      `OK: ${result.school.slug} (${result.school.name}) at ${result.created_at}, ${result.tables} tables, ${result.rows} rows, schema ${result.schema_version}${result.encrypted ? ', encrypted' : ''}.`,
    );
    return result;
  }
}
