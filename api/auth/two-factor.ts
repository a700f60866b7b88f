// TOTP two-factor (RFC 6238): enrol, confirm with a first code, then every password sign-in asks
// for a code (or a single-use recovery code). Secrets are sealed with AES-256-GCM; recovery codes
// are stored hashed. A school can require 2FA for admins and teachers: until they enrol, their
// sessions may only reach enrolment (enrolment_only).
import { audit } from '../audit/service.ts';
import { AppError, conflict, invalid } from '../errors.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import type { Mailer } from '../mail/mailer.ts';
import { settingsOf } from '../school/service.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { generateRecoveryCodes, hashRecoveryCode, recoveryCodeMatches } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import { newTotpSecret, otpauthUri, qrCodeDataUrl, totpIssuer, verifyTotp } from './totp.ts';

export type TwoFactorDeps = { box: SecretBox; mailer: Mailer };
export type SecondFactor = { code?: string | undefined; recovery_code?: string | undefined };

type Row = { id: string; secret_sealed: string; confirmed_at: Date | null; last_used_step: string | number | null };

/** Roles a school's "require two-factor" setting applies to. */
export const TWO_FACTOR_ROLES = ['admin', 'teacher'];

export function schoolRequiresTwoFactor(scope: Scope, role: string): boolean {
  return settingsOf(scope.tenant).require_two_factor && TWO_FACTOR_ROLES.includes(role);
}

function signedInUser(scope: Scope) {
  if (scope.actor.type !== 'user') throw new AppError('unauthenticated', 'Sign in first.');
  return scope.actor.user;
}

async function row(scope: Scope, userId: string): Promise<Row | undefined> {
  return scope.db('two_factor').where({ user_id: userId }).forUpdate().first('id', 'secret_sealed', 'confirmed_at', 'last_used_step');
}

export async function hasTwoFactor(scope: Scope, userId: string): Promise<boolean> {
  const found = await scope.db('two_factor').where({ user_id: userId }).whereNotNull('confirmed_at').first('id');
  return Boolean(found);
}

export async function startEnrolment(scope: Scope, deps: TwoFactorDeps) {
  const user = signedInUser(scope);
  const existing = await row(scope, user.id);
  if (existing?.confirmed_at) throw conflict('Two-factor sign-in is already on. Turn it off first to enrol a new device.');
  const secret = newTotpSecret();
  const sealed = deps.box.seal(secret);
  if (existing) await scope.db('two_factor').where({ id: existing.id }).update({ secret_sealed: sealed, created_at: scope.db.fn.now(), last_used_step: null });
  else await scope.db('two_factor').insert({ tenant_id: scope.tenant.id, user_id: user.id, secret_sealed: sealed });
  const uri = otpauthUri({ secret, accountName: user.email, issuer: totpIssuer(scope.tenant.name) });
  return { secret, otpauth_uri: uri, qr_code: await qrCodeDataUrl(uri) };
}

/** The enrolment started and not yet confirmed, shown again (after a mistyped first code) without
 * a new secret, so the person need not scan again. */
export async function pendingEnrolment(scope: Scope, deps: TwoFactorDeps) {
  const user = signedInUser(scope);
  const existing = await row(scope, user.id);
  if (!existing || existing.confirmed_at) return undefined;
  const secret = deps.box.open(existing.secret_sealed);
  const uri = otpauthUri({ secret, accountName: user.email, issuer: totpIssuer(scope.tenant.name) });
  return { secret, otpauth_uri: uri, qr_code: await qrCodeDataUrl(uri) };
}

export async function confirmEnrolment(scope: Scope, deps: TwoFactorDeps, code: string): Promise<{ recovery_codes: string[] }> {
  const user = signedInUser(scope);
  const existing = await row(scope, user.id);
  if (!existing) throw conflict('Start enrolment first (POST /api/v1/me/two-factor).');
  if (existing.confirmed_at) throw conflict('Two-factor sign-in is already on.');
  const result = verifyTotp(deps.box.open(existing.secret_sealed), code, { lastUsedStep: null });
  if (!result.ok) throw invalid([{ in: 'body', field: 'code', message: 'is not the current code from your authenticator app' }]);
  await scope.db('two_factor').where({ id: existing.id }).update({ confirmed_at: scope.db.fn.now(), last_used_step: result.step });
  const codes = await replaceRecoveryCodes(scope, user.id);
  // Enrolled: sessions that were limited to enrolment are now full sessions.
  await scope.db('auth_sessions').where({ user_id: user.id, enrolment_only: true }).update({ enrolment_only: false });
  await audit(scope, 'auth.two_factor_enabled', { type: 'user', id: user.id });
  await notify(scope, deps, user.id, 'enabled');
  return { recovery_codes: codes };
}

async function replaceRecoveryCodes(scope: Scope, userId: string): Promise<string[]> {
  const codes = generateRecoveryCodes(10);
  await scope.db('recovery_codes').where({ user_id: userId }).delete();
  await scope.db('recovery_codes').insert(codes.map((c) => ({ tenant_id: scope.tenant.id, user_id: userId, code_hash: hashRecoveryCode(c) })));
  return codes;
}

/** Checks a code or a recovery code for the user; a used TOTP step or recovery code never works twice. */
export async function checkSecondFactor(scope: Scope, box: SecretBox, userId: string, factor: SecondFactor): Promise<'code' | 'recovery_code' | undefined> {
  const existing = await row(scope, userId);
  if (!existing?.confirmed_at) return undefined;
  if (factor.code) {
    const last = existing.last_used_step === null ? null : Number(existing.last_used_step);
    const result = verifyTotp(box.open(existing.secret_sealed), factor.code, { lastUsedStep: last });
    if (!result.ok) return undefined;
    await scope.db('two_factor').where({ id: existing.id }).update({ last_used_step: result.step });
    return 'code';
  }
  if (factor.recovery_code) {
    const unused = await scope.db('recovery_codes').where({ user_id: userId }).whereNull('used_at').forUpdate().select('id', 'code_hash');
    const match = unused.find((r: { code_hash: string }) => recoveryCodeMatches(factor.recovery_code as string, r.code_hash));
    if (!match) return undefined;
    await scope.db('recovery_codes').where({ id: match.id }).update({ used_at: scope.db.fn.now() });
    return 'recovery_code';
  }
  return undefined;
}

async function requireFactor(scope: Scope, deps: TwoFactorDeps, userId: string, factor: SecondFactor): Promise<void> {
  if (!(await checkSecondFactor(scope, deps.box, userId, factor))) {
    throw invalid([{ in: 'body', field: factor.recovery_code ? 'recovery_code' : 'code', message: 'is not valid' }], 'That code is not valid.');
  }
}

export async function disableTwoFactor(scope: Scope, deps: TwoFactorDeps, factor: SecondFactor): Promise<void> {
  const user = signedInUser(scope);
  if (schoolRequiresTwoFactor(scope, user.role)) throw conflict('Your school requires two-factor sign-in for your role, so it cannot be turned off.');
  await requireFactor(scope, deps, user.id, factor);
  await scope.db('two_factor').where({ user_id: user.id }).delete();
  await scope.db('recovery_codes').where({ user_id: user.id }).delete();
  await audit(scope, 'auth.two_factor_disabled', { type: 'user', id: user.id });
  await notify(scope, deps, user.id, 'disabled');
}

export async function regenerateRecoveryCodes(scope: Scope, deps: TwoFactorDeps, factor: SecondFactor): Promise<{ recovery_codes: string[] }> {
  const user = signedInUser(scope);
  await requireFactor(scope, deps, user.id, factor);
  const codes = await replaceRecoveryCodes(scope, user.id);
  await audit(scope, 'auth.recovery_codes_regenerated', { type: 'user', id: user.id });
  await notify(scope, deps, user.id, 'recovery codes regenerated');
  return { recovery_codes: codes };
}

/** An admin clears someone's 2FA (lost phone); they enrol again at their next sign-in if required. */
export async function resetTwoFactor(scope: Scope, deps: TwoFactorDeps, userId: string): Promise<void> {
  const removed = await scope.db('two_factor').where({ user_id: userId }).delete();
  await scope.db('recovery_codes').where({ user_id: userId }).delete();
  if (removed === 0) throw conflict('This person does not use two-factor sign-in.');
  await audit(scope, 'auth.two_factor_reset', { type: 'user', id: userId });
  await notify(scope, deps, userId, 'reset by an admin');
}

async function notify(scope: Scope, _deps: TwoFactorDeps, userId: string, change: string): Promise<void> {
  const user = await User.query(scope.db).findOne({ id: userId }).select('email', 'first_name');
  if (!user) return;
  await enqueueMail(scope, { to: user.email, template: 'two-factor-changed', data: { first_name: user.first_name, change } });
}
