// Password sign-in. Failures answer identically whether or not the account exists (same
// message, and a decoy hash keeps the timing alike), and every attempt is audited.
import { audit } from '../audit/service.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { issueAccessToken, type TokenKeys } from './tokens.ts';

export async function verifyCredentials(scope: Scope, email: string, password: string): Promise<User | undefined> {
  const user = await User.query(scope.db).whereRaw('lower(email) = ?', [email.toLowerCase()]).first();
  const hash = user?.password_hash ?? (await decoyHash());
  const matches = await verifyPassword(password, hash);
  if (!user?.password_hash || !matches || user.status !== 'active') {
    await audit(scope, 'auth.login_failed', user ? { type: 'user', id: user.id } : null, {
      reason: !user ? 'unknown_email' : user.status !== 'active' ? 'inactive' : !user.password_hash ? 'no_password' : 'wrong_password',
    });
    return undefined;
  }
  const patch: Partial<User> = { last_login_at: new Date() };
  if (needsRehash(user.password_hash)) patch.password_hash = await hashPassword(password);
  await User.query(scope.db).patch(patch).where({ id: user.id });
  return user;
}

export async function signIn(scope: Scope, user: User, keys: TokenKeys) {
  const { token, expiresIn } = await issueAccessToken(keys, scope.tenant.id, user.id);
  await audit(scope, 'auth.login', { type: 'user', id: user.id }, { method: 'password' });
  return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
}
