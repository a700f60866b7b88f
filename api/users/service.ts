import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { hashPassword } from '../auth/password.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { type Page, type PageQuery, paginate } from '../http/pagination.ts';
import type { Scope } from '../scope.ts';
import { USER_FIELDS, User } from './model.ts';
import type { CreateUserInput, UserView } from './schema.ts';

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

export async function createUser(scope: Scope, input: CreateUserInput): Promise<User> {
  if (scope.ability.cannot('create', 'User')) throw forbidden('Only school admins can add people.');
  const existing = await User.query(scope.db).whereRaw('lower(email) = ?', [input.email]).first();
  if (existing) throw conflict('Someone at this school already uses that email address.', { field: 'email' });
  const user = await User.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    email: input.email,
    first_name: input.first_name,
    last_name: input.last_name,
    role: input.role,
    password_hash: input.password ? await hashPassword(input.password) : null,
  });
  await audit(scope, 'user.created', { type: 'user', id: user.id }, { role: user.role });
  return user;
}

export async function listUsers(scope: Scope, page: PageQuery): Promise<Page<User>> {
  const query = User.query(scope.db).modify(accessibleBy(scope.ability, 'read', 'User', USER_FIELDS));
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
