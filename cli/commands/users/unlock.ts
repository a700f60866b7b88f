import { Args } from '@oclif/core';
import { unlockAccount } from '../../../api/users/service.ts';
import { personByEmail } from '../../../api/users/support.ts';
import { EdifyCommand } from '../../base.ts';

export default class UsersUnlock extends EdifyCommand {
  static override summary = 'Clear a sign-in pause after repeated failed attempts';
  static override args = { slug: Args.string({ required: true }), email: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(UsersUnlock);
    await this.inSchool(this.loadConfig(), args.slug, { writes: true, allowReadOnly: true }, async (scope) => {
      const user = await personByEmail(scope, args.email);
      await unlockAccount(scope, user.id);
    });
    this.log(`${args.email} can sign in again.`);
    return { email: args.email, unlocked: true };
  }
}
