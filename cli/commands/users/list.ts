import { Args, Flags } from '@oclif/core';
import { ROLES } from '../../../api/scope.ts';
import { supportUserList } from '../../../api/users/support.ts';
import { EdifyCommand } from '../../base.ts';
import { table } from '../../output.ts';

export default class UsersList extends EdifyCommand {
  static override summary = 'List people at a school (for support): role, status, last sign-in, 2FA';
  static override examples = ['<%= config.bin %> users:list lincoln --role teacher', '<%= config.bin %> users:list lincoln --search rivera --json'];
  static override args = { slug: Args.string({ required: true, description: 'The school' }) };
  static override flags = {
    role: Flags.string({ options: [...ROLES], description: 'Only people with this role' }),
    status: Flags.string({ options: ['invited', 'active', 'deactivated'], description: 'Only people with this status' }),
    search: Flags.string({ description: 'Only people whose email or name contains this text' }),
    limit: Flags.integer({ description: 'At most this many rows', default: 100, min: 1, max: 10_000 }),
  };

  async run() {
    const { args, flags } = await this.parse(UsersList);
    const { rows, total } = await this.inSchool(this.loadConfig(), args.slug, { writes: false }, (scope) =>
      supportUserList(scope, { role: flags.role, status: flags.status, search: flags.search, limit: flags.limit }),
    );
    const out = rows.map((u) => ({
      id: u.id,
      email: u.email,
      name: `${u.first_name} ${u.last_name}`,
      role: u.role,
      status: u.recent_failures > 0 ? `${u.status} (${u.recent_failures} failed sign-in${u.recent_failures === 1 ? '' : 's'})` : u.status,
      two_factor: Boolean(u.two_factor),
      last_sign_in: u.last_login_at ? new Date(u.last_login_at).toISOString() : null,
    }));
    if (out.length === 0) this.log(`No one matches at ${args.slug}.`);
    else {
      this.log(table(out.map((u) => ({ ...u, two_factor: u.two_factor ? 'on' : '', last_sign_in: u.last_sign_in ?? 'never' }))));
      if (total > out.length) this.log(`\nShowing ${out.length} of ${total}; raise --limit or narrow with --role / --search.`);
    }
    return { school: args.slug, total, users: out };
  }
}
