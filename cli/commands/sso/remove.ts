import { Args } from '@oclif/core';
import { removeConnection } from '../../../api/sso/connections.ts';
import { EdifyCommand, yesFlag } from '../../base.ts';

export default class SsoRemove extends EdifyCommand {
  static override summary = 'Remove a SAML connection (people keep their accounts)';
  static override args = { slug: Args.string({ required: true }), connection: Args.string({ required: true, description: 'Connection id (see sso:list)' }) };
  static override flags = { yes: yesFlag };

  async run() {
    const { args, flags } = await this.parse(SsoRemove);
    await this.confirm(`Remove connection ${args.connection} from ${args.slug}? Sign-in through it stops at once.`, args.slug, flags.yes);
    await this.inSchool(this.loadConfig(), args.slug, { writes: true }, (scope) => removeConnection(scope, args.connection));
    this.log(`Removed ${args.connection}.`);
    return { removed: args.connection };
  }
}
