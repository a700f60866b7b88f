// Sign-in throttling after failed attempts. Failures are counted over a sliding window, separately
// for passwords and for second-factor codes, and at two levels:
//  - per (account, client address): a few wrong guesses from one place pause that place only, so
//    a stranger's guesses never lock the owner out from their own device;
//  - per account, from every address: a spread-out attack meets a ceiling too. Addresses the
//    account has signed in from before are not held by this ceiling (only by their own count).
// Old failures simply age out of the window: no pause doubles, no counter lasts forever.
import { audit } from '../audit/service.ts';
import { now, type Scope } from '../scope.ts';

export type Factor = 'password' | 'second_factor';

export const THROTTLE = {
  windowMs: 15 * 60_000,
  /** Failures from one address that pause that address for this account. */
  perClient: 5,
  /** Failures from all addresses together that pause the account for unknown addresses. */
  perAccount: 20,
} as const;

type Counts = { client: number; account: number };

async function counts(scope: Scope, userId: string, factor: Factor): Promise<Counts> {
  const since = new Date(now(scope).getTime() - THROTTLE.windowMs);
  const row = await scope
    .db('sign_in_failures')
    .where({ user_id: userId, factor })
    .where('occurred_at', '>', since)
    .first(scope.db.raw('count(*) filter (where ip = ?)::int as client', [clientOf(scope)]), scope.db.raw('count(*)::int as account'));
  return { client: row?.client ?? 0, account: row?.account ?? 0 };
}

const clientOf = (scope: Scope) => scope.request?.ip ?? '';

async function knownAddress(scope: Scope, userId: string): Promise<boolean> {
  const ip = clientOf(scope);
  if (!ip) return false;
  return Boolean(await scope.db('auth_sessions').where({ user_id: userId, ip }).first(scope.db.raw('1 as known')));
}

/** Whether attempts of this factor for this account are paused for the requesting address. */
export async function signInPaused(scope: Scope, userId: string, factor: Factor): Promise<boolean> {
  const { client, account } = await counts(scope, userId, factor);
  if (client >= THROTTLE.perClient) return true;
  return account >= THROTTLE.perAccount && !(await knownAddress(scope, userId));
}

/** Records a wrong password or code, and audits the moment a pause begins. */
export async function recordSignInFailure(scope: Scope, userId: string, factor: Factor): Promise<void> {
  const at = now(scope);
  // Rows older than the window count for nothing: each record prunes this account's.
  await scope
    .db('sign_in_failures')
    .where({ user_id: userId })
    .where('occurred_at', '<=', new Date(at.getTime() - THROTTLE.windowMs))
    .delete();
  await scope.db('sign_in_failures').insert({ tenant_id: scope.tenant.id, user_id: userId, factor, ip: clientOf(scope), occurred_at: at });
  const { client, account } = await counts(scope, userId, factor);
  if (client === THROTTLE.perClient || account === THROTTLE.perAccount) {
    await audit(scope, 'auth.sign_in_paused', { type: 'user', id: userId }, { factor, by: client === THROTTLE.perClient ? 'address' : 'account' });
  }
}

/** A success from this address: its failures of this factor are forgiven (others still count). */
export async function forgiveSignInFailures(scope: Scope, userId: string, factor: Factor): Promise<void> {
  await scope
    .db('sign_in_failures')
    .where({ user_id: userId, factor, ip: clientOf(scope) })
    .delete();
}

/** An admin's unlock or a password reset: every failure of this account is forgotten. */
export async function clearSignInFailures(scope: Scope, userId: string): Promise<void> {
  await scope.db('sign_in_failures').where({ user_id: userId }).delete();
}
