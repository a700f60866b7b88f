import { migrationStatus } from '../../../api/db/migrate.ts';
import { EdifyCommand } from '../../base.ts';

export default class DbStatus extends EdifyCommand {
  static override summary = 'Show applied and pending migrations';

  async run() {
    const dbs = await this.database(this.loadConfig());
    const status = await migrationStatus(dbs.owner);
    for (const name of status.applied) this.log(`  applied  ${name}`);
    for (const name of status.pending) this.log(`  pending  ${name}`);
    this.log(status.pending.length ? `${status.pending.length} pending: run \`edify db:migrate\`.` : 'Up to date.');
    return status;
  }
}
