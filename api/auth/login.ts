// Password sign-in, once, for the API (POST /api/v1/auth/login) and the sign-in page (POST
// /sign-in): the SSO-required policy, the password check through passport-local (koa-passport),
// the second-factor step, and the session (tokens or a browser cookie).
import type { Context } from 'koa';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { AppDeps } from '../app-deps.ts';
import { audit } from '../audit/service.ts';
import { AppError } from '../errors.ts';
import { settingsOf } from '../school/service.ts';
import type { Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { completeSignIn } from './complete-sign-in.ts';
import { verifyCredentials } from './service.ts';
import { forgiveSignInFailures, recordSignInFailure, signInPaused } from './throttle.ts';
import { issueChallengeToken, verifyChallengeToken } from './tokens.ts';
import type { SecondFactor } from './two-factor.ts';
import { checkSecondFactor, hasTwoFactor, schoolRequiresTwoFactor } from './two-factor.ts';

const passport = new KoaPassport();
passport.use(
  'local',
  new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false }, (req, email, password, done) => {
    const scope = (req as unknown as { ctx: Context }).ctx.state.scope as Scope;
    verifyCredentials(scope, email, password).then(
      (user) => done(null, user ?? false),
      (error) => done(error),
    );
  }),
);

/** Checks `email` and `password` of the request body (JSON or form). */
function passwordLogin(ctx: Context): Promise<User | undefined> {
  return new Promise((resolve, reject) => {
    const run = passport.authenticate('local', { session: false }, (error: unknown, user: User | false) => {
      if (error) reject(error);
      else resolve(user || undefined);
    });
    Promise.resolve(run(ctx, async () => {})).catch(reject);
  });
}

export type PasswordSignIn =
  | { outcome: 'refused'; problem: AppError }
  | { outcome: 'second-factor'; challengeToken: string }
  | { outcome: 'signed-in'; session: Awaited<ReturnType<typeof completeSignIn>> };

/** A refusal is returned, not thrown: the failed attempt is audited and counted, so the
 * transaction must commit while the caller still answers with the problem. */
export async function signInWithPassword(ctx: Context, scope: Scope, deps: AppDeps, email: string, mode: 'token' | 'cookie'): Promise<PasswordSignIn> {
  // SSO required: passwords stop working, except an admin's break-glass password with 2FA.
  // Decided before the password is checked, so the answer says nothing about the password.
  if (settingsOf(scope.tenant).sso_required && !(await isBreakGlassAdmin(scope, email))) {
    await audit(scope, 'auth.password_refused_sso_required', null, {});
    return {
      outcome: 'refused',
      problem: new AppError('sso-required', 'This school signs in through single sign-on. Use your district sign-in link instead of a password.'),
    };
  }
  const user = await passwordLogin(ctx);
  if (!user) {
    return {
      outcome: 'refused',
      problem: new AppError('invalid-credentials', 'The email or password is not right. After several failed attempts, sign-in pauses for a few minutes.'),
    };
  }
  if (await hasTwoFactor(scope, user.id)) {
    await audit(scope, 'auth.password_accepted', { type: 'user', id: user.id }, { awaiting: 'second_factor' });
    return { outcome: 'second-factor', challengeToken: await issueChallengeToken(deps.tokenKeys, scope.tenant.id, user.id) };
  }
  const enrolmentOnly = schoolRequiresTwoFactor(scope, user.role);
  return { outcome: 'signed-in', session: await completeSignIn(ctx, scope, deps, user, { mode, enrolmentOnly }) };
}

const wrongCode = () => new AppError('invalid-credentials', 'That code is not valid. Codes change every 30 seconds and work once.');

/** The second step: the challenge token from the password step plus a TOTP or recovery code.
 * `limitAccount` spends the per-account second-factor allowance once the token has proven whose
 * sign-in this is (never an unverified token's subject). */
export async function signInWithSecondFactor(
  ctx: Context,
  scope: Scope,
  deps: AppDeps,
  input: SecondFactor & { challenge_token: string },
  mode: 'token' | 'cookie',
  limitAccount: (accountId: string) => Promise<void>,
): Promise<Exclude<PasswordSignIn, { outcome: 'second-factor' }>> {
  const userId = await verifyChallengeToken(deps.tokenKeys, scope.tenant.id, input.challenge_token);
  const user = userId ? await User.query(scope.db).findOne({ id: userId, status: 'active' }).forUpdate() : undefined;
  if (!user)
    return { outcome: 'refused', problem: new AppError('unauthenticated', 'The sign-in attempt has expired. Start again with your email and password.') };
  await limitAccount(user.id);
  // Counted apart from password failures: a wrong code does not pause password sign-in, nor the reverse.
  if (await signInPaused(scope, user.id, 'second_factor')) return { outcome: 'refused', problem: wrongCode() };
  const used = await checkSecondFactor(scope, deps.secretBox, user.id, input);
  if (!used) {
    await recordSignInFailure(scope, user.id, 'second_factor');
    await audit(scope, 'auth.two_factor_failed', { type: 'user', id: user.id });
    return { outcome: 'refused', problem: wrongCode() };
  }
  await forgiveSignInFailures(scope, user.id, 'second_factor');
  if (used === 'recovery_code') await audit(scope, 'auth.recovery_code_used', { type: 'user', id: user.id });
  return { outcome: 'signed-in', session: await completeSignIn(ctx, scope, deps, user, { mode, enrolmentOnly: false }) };
}

async function isBreakGlassAdmin(scope: Scope, email: string): Promise<boolean> {
  const admin = await scope.db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).where({ role: 'admin', status: 'active' }).first('id');
  return admin ? hasTwoFactor(scope, admin.id) : false;
}
