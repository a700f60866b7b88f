// Password reset by emailed, single-use token (30 minutes, stored hashed). The request answers
// the same whether or not the address belongs to anyone; using the token revokes every session.

import { audit } from '../audit/service.ts';
import { invalid } from '../errors.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.ts';
import { hashPassword } from './password.ts';
import { revokeSessions } from './sessions.ts';
import { clearSignInFailures } from './throttle.ts';

export const RESET_MINUTES = 30;

export async function requestPasswordReset(scope: Scope, email: string, mail: { mailer: Mailer; siteUrl: string }): Promise<void> {
  const user = await User.query(scope.db).whereRaw('lower(email) = ?', [email.toLowerCase()]).where({ status: 'active' }).first();
  await audit(scope, 'auth.password_reset_requested', user ? { type: 'user', id: user.id } : null, { known: Boolean(user) });
  if (!user) return;
  const token = newOpaqueToken();
  await scope.db('password_resets').insert({
    tenant_id: scope.tenant.id,
    user_id: user.id,
    token_hash: hashOpaqueToken(token),
    expires_at: new Date(Date.now() + RESET_MINUTES * 60_000),
  });
  await enqueueMail(scope, {
    to: user.email,
    template: 'password-reset',
    data: { first_name: user.first_name, reset_url: `${mail.siteUrl}/reset-password?token=${token}`, expires_in_minutes: RESET_MINUTES },
  });
}

export async function confirmPasswordReset(scope: Scope, token: string, password: string): Promise<void> {
  const row = await scope
    .db('password_resets as r')
    .join('users as u', (j) => j.on('u.tenant_id', 'r.tenant_id').andOn('u.id', 'r.user_id'))
    .where('r.token_hash', hashOpaqueToken(token))
    .forUpdate()
    .first('r.id', 'r.user_id', 'r.used_at', 'r.expires_at', 'u.status');
  if (!row || row.used_at || new Date(row.expires_at) < new Date() || row.status !== 'active') {
    throw invalid(
      [{ in: 'body', field: 'token', message: 'is invalid, expired or already used; request a new reset email' }],
      'This reset link no longer works.',
    );
  }
  await User.query(scope.db)
    .patch({ password_hash: await hashPassword(password), password_changed_at: new Date() })
    .where({ id: row.user_id });
  await clearSignInFailures(scope, row.user_id);
  await scope.db('password_resets').where({ user_id: row.user_id }).whereNull('used_at').update({ used_at: scope.db.fn.now() });
  const revoked = await revokeSessions(scope.db, { userId: row.user_id }, 'password_reset');
  await audit(scope, 'auth.password_reset', { type: 'user', id: row.user_id }, { sessions_revoked: revoked });
}
