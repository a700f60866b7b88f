import { Flags } from '@oclif/core';
import { migrateRollback } from '../../../api/db/migrate.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class DbRollback extends EdifyCommand {
  static override summary = 'Undo the last batch of migrations (or all of them with --all)';
  static override flags = { all: Flags.boolean({ default: false, description: 'Undo every migration: drops all data' }), yes: yesFlag };

  async run() {
    const { flags } = await this.parse(DbRollback);
    await this.confirm(
      flags.all
        ? 'Undo ALL migrations? Every table and its data is dropped.'
        : 'Undo the last batch of migrations? Tables it created are dropped with their data.',
      'rollback',
      flags.yes,
    );
    const dbs = await this.database(this.loadConfig());
    const undone = await migrateRollback(dbs.owner, flags.all);
    this.log(undone.length ? `Rolled back ${undone.length} migration(s):\n  ${undone.join('\n  ')}` : 'Nothing to roll back.');
    return { undone };
  }
}
