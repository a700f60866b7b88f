// Password sign-in. Failures answer identically whether or not the account exists (same
// message, and a decoy hash keeps the timing alike), every attempt is audited, and repeated
// failures pause sign-in from that address (and, past a higher ceiling, for the account) until
// they age out of the window (api/auth/throttle.ts); an admin can clear them.
import { audit } from '../audit/service.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { type BrowserSession, type SessionMeta, type SessionPolicy, startBrowserSession, startSession, type TokenPair } from './sessions.ts';
import { clearSignInFailures, forgiveSignInFailures, recordSignInFailure, signInPaused } from './throttle.ts';

export async function verifyCredentials(scope: Scope, email: string, password: string): Promise<User | undefined> {
  const user = await User.query(scope.db).whereRaw('lower(email) = ?', [email.toLowerCase()]).forUpdate().first();
  const locked = user ? await signInPaused(scope, user.id, 'password') : false;
  // A paused account is not even checked, so guessing during the pause teaches nothing.
  const hash = !locked && user?.password_hash ? user.password_hash : await decoyHash();
  const matches = await verifyPassword(password, hash);
  if (!user?.password_hash || locked || !matches || user.status !== 'active') {
    const reason = !user ? 'unknown_email' : locked ? 'locked' : user.status !== 'active' ? 'inactive' : !user.password_hash ? 'no_password' : 'wrong_password';
    if (user && reason === 'wrong_password') await recordSignInFailure(scope, user.id, 'password');
    await audit(scope, 'auth.login_failed', user ? { type: 'user', id: user.id } : null, { reason });
    return undefined;
  }
  const patch: Partial<User> = { last_login_at: new Date() };
  if (needsRehash(user.password_hash)) patch.password_hash = await hashPassword(password);
  await User.query(scope.db).patch(patch).where({ id: user.id });
  await forgiveSignInFailures(scope, user.id, 'password');
  return user;
}

export async function signIn(scope: Scope, user: User, policy: SessionPolicy, meta: SessionMeta): Promise<TokenPair> {
  const pair = await startSession(scope, user.id, policy, meta);
  await audit(scope, 'auth.login', { type: 'user', id: user.id }, { method: 'password', session_id: pair.session_id });
  return pair;
}

export async function signInBrowser(scope: Scope, user: User, policy: SessionPolicy, meta: SessionMeta): Promise<BrowserSession> {
  const session = await startBrowserSession(scope, user.id, policy, meta);
  await audit(scope, 'auth.login', { type: 'user', id: user.id }, { method: 'password', session_id: session.session_id, kind: 'browser' });
  return session;
}

export async function unlockUser(scope: Scope, userId: string): Promise<void> {
  await clearSignInFailures(scope, userId);
  await audit(scope, 'auth.account_unlocked', { type: 'user', id: userId });
}
