import { migrateLatest } from '../../../api/db/migrate.ts';
import { EdifyCommand } from '../../base.ts';

export default class DbMigrate extends EdifyCommand {
  static override summary = 'Apply pending migrations (as the owner role; creates the edify_app role if needed)';

  async run() {
    const dbs = await this.database(this.loadConfig());
    const applied = await migrateLatest(dbs.owner, dbs.appUrl);
    this.log(applied.length ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'Already up to date.');
    return { applied };
  }
}
