import { Flags } from '@oclif/core';
import { cleanupFiles, fileServices } from '../../../api/files/service.ts';
import { EdifyCommand } from '../../base.ts';

export default class FilesCleanup extends EdifyCommand {
  static override summary = 'Remove files never attached within 24 hours and files whose record was deleted, in every school';
  static override description = 'Safe to run at any time and as often as wanted (the job schedule runs it); prints what it removed.';

  static override flags = { school: Flags.string({ description: 'Only this school (slug); repeatable', multiple: true }) };

  async run() {
    const { flags } = await this.parse(FilesCleanup);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const { storage } = fileServices(config.files);
    const result = await cleanupFiles(dbs, storage, {
      ...(flags.school ? { schools: flags.school } : {}),
      // The key names the school and a random id, never a person or a file name.
      onError: (error, key) => this.warn(`could not remove the bytes of ${key}: ${(error as Error).message}`),
    });
    this.log(
      `Removed ${result.removed} file(s), ${result.bytes} bytes, across ${result.schools} school(s)${result.failed ? `; ${result.failed} could not be removed from storage` : ''}.`,
    );
    return result;
  }
}
