// Password sign-in. Failures answer identically whether or not the account exists (same
// message, and a decoy hash keeps the timing alike), every attempt is audited, and repeated
// failures pause the account with a growing delay that an admin can clear.
import { audit } from '../audit/service.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { type BrowserSession, type SessionMeta, type SessionPolicy, startBrowserSession, startSession, type TokenPair } from './sessions.ts';

/** Failures allowed before the account pauses; each further failure doubles the pause. */
export const FREE_FAILURES = 5;
const MAX_LOCK_MINUTES = 60;

export function lockMinutes(failures: number): number {
  return failures < FREE_FAILURES ? 0 : Math.min(2 ** (failures - FREE_FAILURES), MAX_LOCK_MINUTES);
}

export async function verifyCredentials(scope: Scope, email: string, password: string): Promise<User | undefined> {
  const user = await User.query(scope.db).whereRaw('lower(email) = ?', [email.toLowerCase()]).forUpdate().first();
  const locked = user ? isPaused(user) : false;
  // A paused account is not even checked, so guessing during the pause teaches nothing.
  const hash = !locked && user?.password_hash ? user.password_hash : await decoyHash();
  const matches = await verifyPassword(password, hash);
  if (!user?.password_hash || locked || !matches || user.status !== 'active') {
    const reason = !user ? 'unknown_email' : locked ? 'locked' : user.status !== 'active' ? 'inactive' : !user.password_hash ? 'no_password' : 'wrong_password';
    if (user && reason === 'wrong_password') await recordFailure(scope, user);
    await audit(scope, 'auth.login_failed', user ? { type: 'user', id: user.id } : null, { reason });
    return undefined;
  }
  const patch: Partial<User> = { last_login_at: new Date(), failed_logins: 0, locked_until: null };
  if (needsRehash(user.password_hash)) patch.password_hash = await hashPassword(password);
  await User.query(scope.db).patch(patch).where({ id: user.id });
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
  await User.query(scope.db).patch({ failed_logins: 0, locked_until: null }).where({ id: userId });
  await audit(scope, 'auth.account_unlocked', { type: 'user', id: userId });
}

/** Counts a failed password or second-factor attempt; enough of them pause the account. */
export async function recordFailure(scope: Scope, user: User): Promise<void> {
  const failures = user.failed_logins + 1;
  const minutes = lockMinutes(failures);
  await User.query(scope.db)
    .patch({ failed_logins: failures, locked_until: minutes > 0 ? new Date(Date.now() + minutes * 60_000) : null })
    .where({ id: user.id });
  if (minutes > 0) await audit(scope, 'auth.account_paused', { type: 'user', id: user.id }, { failures, minutes });
}

export function isPaused(user: User): boolean {
  return user.locked_until ? new Date(user.locked_until) > new Date() : false;
}
