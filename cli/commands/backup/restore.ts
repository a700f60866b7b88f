import { Args, Flags } from '@oclif/core';
import { platformAudit } from '../../../api/audit/platform.ts';
import { keyFrom } from '../../../api/backup/archive.ts';
import { restoreBackup } from '../../../api/backup/service.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class BackupRestore extends EdifyCommand {
  static override summary = 'Restore a backup as a new school (--as) or over an existing one (--replace)';
  static override description =
    'One transaction: if anything fails (a damaged archive, a killed process), nothing changes. --as makes a new school with a new id and every other id kept; --replace deletes the school’s rows and loads the archive. Sign-in sessions and one-time tokens are not restored: everyone signs in again.';
  static override examples = [
    '<%= config.bin %> backup:restore lincoln-20261126T120000Z.edifybak --as lincoln-copy',
    '<%= config.bin %> backup:restore lincoln-20261126T120000Z.edifybak --replace lincoln --yes',
  ];
  static override args = { file: Args.string({ required: true }) };
  static override flags = {
    as: Flags.string({ description: 'Slug of a new school to restore into', exclusive: ['replace'] }),
    name: Flags.string({ description: 'Name of the new school (with --as; default: the archived name)', dependsOn: ['as'] }),
    replace: Flags.string({ description: 'Slug of the school whose data the archive replaces', exclusive: ['as'] }),
    'passphrase-file': Flags.string({ description: 'Passphrase file for an archive encrypted with one' }),
    yes: yesFlag,
  };

  async run() {
    const { args, flags } = await this.parse(BackupRestore);
    if (!flags.as && !flags.replace) this.error('Pass --as <new-slug> or --replace <slug>.', { exit: 2 });
    const key = await keyFrom({ envKey: process.env.EDIFY_BACKUP_KEY, passphraseFile: flags['passphrase-file'] });
    if (flags.replace) {
      await this.confirm(`Replace every row of ${flags.replace} with the backup's?`, flags.replace, flags.yes);
    }
    const dbs = await this.database(this.loadConfig());
    const result = await restoreBackup({
      ownerUrl: dbs.ownerUrl,
      file: args.file,
      ...(key ? { key } : {}),
      target: flags.as ? { as: flags.as, ...(flags.name ? { name: flags.name } : {}) } : { replace: flags.replace as string },
      onProgress: (m) => this.logToStderr(`restore: ${m}`),
    });
    await platformAudit(dbs.owner, this.operator(), 'tenant.restored', result.school, {
      mode: result.mode,
      file: args.file,
      rows: result.rows,
      tables: result.tables,
    });
    this.log(
      `Restored ${result.rows} rows in ${result.tables} tables into ${result.school.slug}${result.skipped.length ? ` (not restored: ${result.skipped.join(', ')})` : ''}.`,
    );
    return result;
  }
}
