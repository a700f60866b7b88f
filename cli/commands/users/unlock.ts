import { Args } from '@oclif/core';
import { notFound } from '../../../api/errors.ts';
import { User } from '../../../api/users/model.ts';
import { unlockAccount } from '../../../api/users/service.ts';
import { EdifyCommand } from '../../base.ts';

export default class UsersUnlock extends EdifyCommand {
  static override summary = 'Clear a sign-in pause after repeated failed attempts';
  static override args = { slug: Args.string({ required: true }), email: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(UsersUnlock);
    await this.inSchool(this.loadConfig(), args.slug, { writes: true, allowReadOnly: true }, async (scope) => {
      const user = await User.query(scope.db).whereRaw('lower(email) = ?', [args.email.toLowerCase()]).first();
      if (!user) throw notFound(`"${args.email}" at ${args.slug}`);
      await unlockAccount(scope, user.id);
    });
    this.log(`${args.email} can sign in again.`);
    return { email: args.email, unlocked: true };
  }
}
