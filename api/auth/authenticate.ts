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
  const claims = await verifyAccessToken(keys, scope.tenant.id, match[1]);
  if (!claims) throw unauthenticated('The access token is invalid or has expired, or was issued by another school.');
  // One query: the user must be active and the sign-in session neither revoked nor expired.
  const user = await User.query(scope.db)
    .select('users.id', 'users.role', 'users.email', 'users.first_name', 'users.last_name', 's.enrolment_only')
    .join('auth_sessions as s', (j) => j.on('s.tenant_id', 'users.tenant_id').andOn('s.user_id', 'users.id'))
    .where({ 'users.id': claims.userId, 'users.status': 'active', 's.id': claims.sessionId })
    .whereNull('s.revoked_at')
    .where('s.expires_at', '>', scope.db.fn.now())
    .first();
  if (!user) throw unauthenticated('This sign-in has ended or the account is no longer active. Sign in again.');
  return {
    type: 'user',
    user: {
      id: user.id,
      role: user.role,
      email: user.email,
      first_name: user.first_name,
      last_name: user.last_name,
      sessionId: claims.sessionId,
      enrolmentOnly: (user as unknown as { enrolment_only: boolean }).enrolment_only,
    },
  };
}

function unauthenticated(detail: string): AppError {
  return new AppError('unauthenticated', detail);
}
