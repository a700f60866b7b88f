// Email verification for people who signed a school up themselves: until they confirm, they can
// use the school but not invite anyone (so a signup cannot be used to send mail to strangers).

import { audit } from '../audit/service.ts';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-token.ts';
import { forbidden, invalid } from '../errors.ts';
import type { Scope } from '../scope.ts';

export const VERIFY_DAYS = 7;

export async function startEmailVerification(scope: Scope, userId: string): Promise<string> {
  const token = newOpaqueToken();
  await scope.db('users').where({ id: userId }).update({ email_verified_at: null });
  await scope.db('email_verifications').insert({
    tenant_id: scope.tenant.id,
    user_id: userId,
    token_hash: hashOpaqueToken(token),
    expires_at: new Date(Date.now() + VERIFY_DAYS * 86_400_000),
  });
  return token;
}

export async function confirmEmail(scope: Scope, token: string): Promise<void> {
  const row = await scope
    .db('email_verifications')
    .where({ token_hash: hashOpaqueToken(token) })
    .forUpdate()
    .first('id', 'user_id', 'used_at', 'expires_at');
  if (!row || row.used_at || new Date(row.expires_at) < new Date()) {
    throw invalid([{ in: 'body', field: 'token', message: 'is invalid, expired or already used' }], 'This confirmation link no longer works.');
  }
  await scope.db('email_verifications').where({ id: row.id }).update({ used_at: scope.db.fn.now() });
  await scope.db('users').where({ id: row.user_id }).update({ email_verified_at: scope.db.fn.now() });
  await audit(scope, 'user.email_verified', { type: 'user', id: row.user_id });
}

export async function assertEmailVerified(scope: Scope): Promise<void> {
  if (scope.actor.type !== 'user') return;
  const row = await scope.db('users').where({ id: scope.actor.user.id }).first('email_verified_at');
  if (!row?.email_verified_at) throw forbidden('Confirm your email address first (see the email we sent you), then you can invite people.');
}
