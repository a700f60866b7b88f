// Bearer token → the signed-in user, re-read inside the tenant session on every request so a
// deactivated user, a deleted user or a changed role takes effect at once, and RLS guarantees
// the user belongs to this school.
import { AppError } from '../errors.ts';
import type { Actor, Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { type TokenKeys, verifyAccessToken } from './tokens.ts';

export async function authenticate(scope: Scope, authorization: string, keys: TokenKeys): Promise<Actor> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw unauthenticated('Sign in and send the access token as "Authorization: Bearer <token>".');
  const userId = await verifyAccessToken(keys, scope.tenant.id, match[1]);
  if (!userId) throw unauthenticated('The access token is invalid or has expired, or was issued by another school.');
  const user = await User.query(scope.db).select('id', 'role', 'email', 'first_name', 'last_name').findOne({ id: userId, status: 'active' });
  if (!user) throw unauthenticated('This account is no longer active.');
  return { type: 'user', user: { id: user.id, role: user.role, email: user.email, first_name: user.first_name, last_name: user.last_name } };
}

function unauthenticated(detail: string): AppError {
  return new AppError('unauthenticated', detail);
}
