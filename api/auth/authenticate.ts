// Bearer token → the signed-in user, re-read inside the tenant session on every request so a
// deactivated user, a deleted user or a changed role takes effect at once, and RLS guarantees
// the user belongs to this school.
import { AppError } from '../errors.ts';
import type { Actor, Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { cookieHash } from './sessions.ts';
import { type TokenKeys, verifyAccessToken } from './tokens.ts';

export type Credentials = { authorization: string; cookie: string | undefined };

export async function authenticate(scope: Scope, credentials: Credentials, keys: TokenKeys): Promise<Actor> {
  if (!credentials.authorization && credentials.cookie) return authenticateCookie(scope, credentials.cookie);
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(credentials.authorization.trim());
  if (!match?.[1]) throw unauthenticated('Sign in and send the access token as "Authorization: Bearer <token>".');
  const claims = await verifyAccessToken(keys, scope.tenant.id, match[1]);
  if (!claims) throw unauthenticated('The access token is invalid or has expired, or was issued by another school.');
  return signedIn(scope, { 's.id': claims.sessionId }, 'bearer');
}

async function authenticateCookie(scope: Scope, cookie: string): Promise<Actor> {
  return signedIn(scope, { 's.cookie_hash': cookieHash(cookie), 's.kind': 'browser' }, 'cookie');
}

// One query: the user must be active and the sign-in session neither revoked nor expired.
async function signedIn(scope: Scope, session: Record<string, string>, via: 'bearer' | 'cookie'): Promise<Actor> {
  const row = (await User.query(scope.db)
    .select('users.id', 'users.role', 'users.email', 'users.first_name', 'users.last_name', 's.id as session_id', 's.enrolment_only')
    .join('auth_sessions as s', (j) => j.on('s.tenant_id', 'users.tenant_id').andOn('s.user_id', 'users.id'))
    .where({ 'users.status': 'active', ...session })
    .whereNull('s.revoked_at')
    .where('s.expires_at', '>', scope.db.fn.now())
    .first()) as unknown as (User & { session_id: string; enrolment_only: boolean }) | undefined;
  if (!row) throw unauthenticated('This sign-in has ended or the account is no longer active. Sign in again.');
  return {
    type: 'user',
    user: {
      id: row.id,
      role: row.role,
      email: row.email,
      first_name: row.first_name,
      last_name: row.last_name,
      sessionId: row.session_id,
      enrolmentOnly: row.enrolment_only,
      via,
    },
  };
}

function unauthenticated(detail: string): AppError {
  return new AppError('unauthenticated', detail);
}
