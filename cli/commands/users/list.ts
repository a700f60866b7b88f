import { Args, Flags } from '@oclif/core';
import { THROTTLE } from '../../../api/auth/throttle.ts';
import { ROLES } from '../../../api/scope.ts';
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
    const { rows, total } = await this.inSchool(this.loadConfig(), args.slug, { writes: false }, async (scope) => {
      const query = scope.db('users as u').modify((q) => {
        if (flags.role) q.where('u.role', flags.role);
        if (flags.status) q.where('u.status', flags.status);
        if (flags.search) {
          const like = `%${flags.search.replace(/[%_\\]/g, '\\$&')}%`;
          q.where((w) => w.whereILike('u.email', like).orWhereILike(scope.db.raw(`u.first_name || ' ' || u.last_name`) as never, like));
        }
      });
      const [{ count }] = (await query.clone().count<{ count: string }[]>('* as count')) as [{ count: string }];
      const found = await query
        .clone()
        .orderBy(['u.role', 'u.last_name', 'u.first_name', 'u.id'])
        .limit(flags.limit)
        .select(
          'u.id',
          'u.email',
          'u.first_name',
          'u.last_name',
          'u.role',
          'u.status',
          'u.last_login_at',
          // Wrong passwords in the throttle's window (api/auth/throttle.ts), from every address.
          scope.db.raw(
            "(select count(*) from sign_in_failures f where f.tenant_id = u.tenant_id and f.user_id = u.id and f.factor = 'password' and f.occurred_at > now() - make_interval(secs => ?))::int as recent_failures",
            [THROTTLE.windowMs / 1000],
          ),
          scope.db.raw('exists (select 1 from two_factor t where t.tenant_id = u.tenant_id and t.user_id = u.id and t.confirmed_at is not null) as two_factor'),
        );
      type Row = {
        id: string;
        email: string;
        first_name: string;
        last_name: string;
        role: string;
        status: string;
        last_login_at: Date | null;
        recent_failures: number;
        two_factor: boolean;
      };
      return { rows: found as Row[], total: Number(count) };
    });
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
