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
import type { User } from '../users/model.ts';
import { completeSignIn } from './complete-sign-in.ts';
import { verifyCredentials } from './service.ts';
import { issueChallengeToken } from './tokens.ts';
import { hasTwoFactor, schoolRequiresTwoFactor } from './two-factor.ts';

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

async function isBreakGlassAdmin(scope: Scope, email: string): Promise<boolean> {
  const admin = await scope.db('users').whereRaw('lower(email) = ?', [email.toLowerCase()]).where({ role: 'admin', status: 'active' }).first('id');
  return admin ? hasTwoFactor(scope, admin.id) : false;
}
