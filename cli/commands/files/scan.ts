import { Flags } from '@oclif/core';
import { fileServices, scanPendingFiles } from '../../../api/files/service.ts';
import { EdifyCommand } from '../../base.ts';

export default class FilesScan extends EdifyCommand {
  static override summary = 'Scan the files kept as pending while the virus scanner was down (CLAMAV_URL)';
  static override description = 'Clean ones can then be attached; infected ones are rejected and their bytes deleted. The job schedule runs it.';
  static override flags = { school: Flags.string({ description: 'Only this school (slug); repeatable', multiple: true }) };

  async run() {
    const { flags } = await this.parse(FilesScan);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const services = fileServices(config.files);
    if (!services.scanner) this.warn('CLAMAV_URL is not set: nothing can be scanned.');
    const result = await scanPendingFiles(dbs, services, flags.school ? { schools: flags.school } : {});
    this.log(`Scanned ${result.scanned}: ${result.clean} clean, ${result.rejected} rejected; ${result.pending} still pending.`);
    return result;
  }
}
