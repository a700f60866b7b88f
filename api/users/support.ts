// What operators see of a school's people (edify users:list): support queries live with the feature
// they read, like every other query, not in the CLI.

import { THROTTLE } from '../auth/throttle.ts';
import { notFound } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { User } from './model.ts';

export type SupportUserFilters = { role?: string; status?: string; search?: string; limit: number };

/** People at the school, for support: role, status, last sign-in, recent failed sign-ins, 2FA. */
export async function supportUserList(scope: Scope, filters: SupportUserFilters) {
  const query = scope.db('users as u').modify((q) => {
    if (filters.role) q.where('u.role', filters.role);
    if (filters.status) q.where('u.status', filters.status);
    if (filters.search) {
      const like = `%${filters.search.replace(/[%_\\]/g, '\\$&')}%`;
      q.where((w) => w.whereILike('u.email', like).orWhereILike(scope.db.raw(`u.first_name || ' ' || u.last_name`) as never, like));
    }
  });
  const [{ count }] = (await query.clone().count<{ count: string }[]>('* as count')) as [{ count: string }];
  const found = await query
    .clone()
    .orderBy(['u.role', 'u.last_name', 'u.first_name', 'u.id'])
    .limit(filters.limit)
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
}

/** One person by email address (case-insensitive), or 404 naming the address and the school. */
export async function personByEmail(scope: Scope, email: string): Promise<User> {
  const user = await User.query(scope.db).whereRaw('lower(email) = ?', [email.toLowerCase()]).first();
  if (!user) throw notFound(`"${email}" at ${scope.tenant.slug}`);
  return user;
}
