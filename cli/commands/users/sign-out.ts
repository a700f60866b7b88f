import { Args } from '@oclif/core';
import { signOutEverywhere } from '../../../api/users/service.ts';
import { personByEmail } from '../../../api/users/support.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class UsersSignOut extends EdifyCommand {
  static override summary = 'Sign a person out of every device (for a lost laptop or a suspected break-in)';
  static override args = { slug: Args.string({ required: true }), email: Args.string({ required: true }) };
  static override flags = { yes: yesFlag };

  async run() {
    const { args, flags } = await this.parse(UsersSignOut);
    await this.confirm(`Sign ${args.email} out everywhere at ${args.slug}?`, args.email, flags.yes);
    const sessions = await this.inSchool(this.loadConfig(), args.slug, { writes: true, allowReadOnly: true }, async (scope) => {
      const user = await personByEmail(scope, args.email);
      return signOutEverywhere(scope, user.id);
    });
    this.log(`Ended ${sessions} session(s) of ${args.email}.`);
    return { email: args.email, sessions_ended: sessions };
  }
}
