import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { hashPassword } from '../auth/password.ts';
import { unlockUser } from '../auth/service.ts';
import { revokeSessions } from '../auth/sessions.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { USER_FIELDS, User } from './model.ts';
import type { CreateUserInput, UpdateUserInput, UserView } from './schema.ts';
import { assertSeatsFor, SEAT_ROLES } from './seats.ts';

export function presentUser(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    role: user.role,
    status: user.status,
    created_at: new Date(user.created_at).toISOString(),
  };
}

/** `passwordHash`: hashed by the caller before its transaction opened (scrypt takes ~0.3 s; a
 * transaction should not hold its locks that long). Otherwise `input.password` is hashed here. */
export async function createUser(scope: Scope, input: CreateUserInput, options: { passwordHash?: string } = {}): Promise<User> {
  if (scope.ability.cannot('create', 'User')) throw forbidden('Only school admins can add people.');
  const existing = await User.query(scope.db).whereRaw('lower(email) = ?', [input.email]).first();
  if (existing) throw conflict('Someone at this school already uses that email address.', { field: 'email' });
  if ((SEAT_ROLES as readonly string[]).includes(input.role)) await assertSeatsFor(scope, 1);
  const user = await User.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    email: input.email,
    first_name: input.first_name,
    last_name: input.last_name,
    role: input.role,
    password_hash: options.passwordHash ?? (input.password ? await hashPassword(input.password) : null),
  });
  await audit(scope, 'user.created', { type: 'user', id: user.id }, { role: user.role });
  return user;
}

export type UserFilter = { q?: string | undefined; role?: User['role'] | undefined; status?: User['status'] | undefined };

export async function listUsers(scope: Scope, page: PageQuery & UserFilter): Promise<Page<User>> {
  const query = User.query(scope.db).modify(accessibleBy(scope.ability, 'read', 'User', USER_FIELDS));
  if (page.role) query.where('users.role', page.role);
  if (page.status) query.where('users.status', page.status);
  const words = (page.q ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5);
  // Every word matches the email or a name ("ada love" finds Ada Lovelace).
  for (const word of words) {
    const like = `%${word.replace(/[%_\\]/g, '\\$&')}%`;
    query.where((w: typeof query) => w.whereILike('users.email', like).orWhereILike('users.first_name', like).orWhereILike('users.last_name', like));
  }
  return paginate<User>(query, page, {
    sort: 'users.email',
    id: 'users.id',
    sortOf: (u) => u.email,
    idOf: (u) => u.id,
  });
}

export async function getUser(scope: Scope, id: string): Promise<User> {
  const user = await User.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'User', USER_FIELDS))
    .findOne({ 'users.id': id });
  if (!user) throw notFound('The person');
  return user;
}

/** A person an admin may manage; 404 for anyone the actor cannot see, 403 if visible only. */
export async function findManageableUser(scope: Scope, id: string): Promise<User> {
  const user = await User.query(scope.db)
    .modify(accessibleBy(scope.ability, 'update', 'User', USER_FIELDS))
    .findOne({ 'users.id': id });
  if (user) return user;
  await getUser(scope, id);
  throw forbidden('Only school admins can manage people.');
}

export async function updateUser(scope: Scope, id: string, input: UpdateUserInput): Promise<User> {
  const user = await findManageableUser(scope, id);
  const self = scope.actor.type === 'user' && scope.actor.user.id === id;
  if (self && ((input.role && input.role !== user.role) || input.status === 'deactivated')) {
    throw conflict('You cannot change your own role or deactivate yourself; ask another admin.');
  }
  const updated = await User.query(scope.db).patchAndFetchById(user.id, { ...input, updated_at: new Date() });
  if (input.role && input.role !== user.role) await audit(scope, 'user.role_changed', { type: 'user', id }, { from: user.role, to: input.role });
  if (input.status && input.status !== user.status) {
    if (input.status === 'deactivated') await revokeSessions(scope.db, { userId: id }, 'deactivated');
    await audit(scope, input.status === 'deactivated' ? 'user.deactivated' : 'user.reactivated', { type: 'user', id });
  }
  if (input.first_name || input.last_name) await audit(scope, 'user.renamed', { type: 'user', id });
  return updated;
}

export async function signOutEverywhere(scope: Scope, id: string): Promise<number> {
  await findManageableUser(scope, id);
  const count = await revokeSessions(scope.db, { userId: id }, 'signed_out_by_admin');
  await audit(scope, 'user.signed_out_everywhere', { type: 'user', id }, { sessions: count });
  return count;
}

export async function unlockAccount(scope: Scope, id: string): Promise<void> {
  await findManageableUser(scope, id);
  await unlockUser(scope, id);
}
