// Password login (passport-local through koa-passport) and the signed-in user's own profile.
import type { Context } from 'koa';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { AppError } from '../errors.ts';
import { tenantRoute } from '../http/route.ts';
import type { Scope } from '../scope.ts';
import type { User } from '../users/model.ts';
import { userView } from '../users/schema.ts';
import { getUser, presentUser } from '../users/service.ts';
import { loginInput, tokenView } from './schema.ts';
import { signIn, verifyCredentials } from './service.ts';

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

function passwordLogin(ctx: Context): Promise<User | undefined> {
  return new Promise((resolve, reject) => {
    const run = passport.authenticate('local', { session: false }, (error: unknown, user: User | false) => {
      if (error) reject(error);
      else resolve(user || undefined);
    });
    Promise.resolve(run(ctx, async () => {})).catch(reject);
  });
}

export const authRoutes = [
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Sign in with email and password',
    description: 'Returns a short-lived access token valid only at this school.',
    tags: ['auth'],
    access: 'public',
    body: loginInput,
    responses: { 200: { description: 'Signed in', schema: tokenView } },
    handler: async ({ ctx, scope, deps }) => {
      const user = await passwordLogin(ctx);
      // The failed attempt is audited, so the transaction commits and the problem still answers.
      if (!user) return { problem: new AppError('invalid-credentials', 'The email or password is not right.') };
      return { body: await signIn(scope, user, deps.tokenKeys), headers: { 'Cache-Control': 'no-store' } };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me',
    summary: 'The signed-in user',
    tags: ['auth'],
    access: 'signed-in',
    responses: { 200: { description: 'Your profile', schema: userView } },
    handler: async ({ scope }) => {
      const id = scope.actor.type === 'user' ? scope.actor.user.id : '';
      return { body: presentUser(await getUser(scope, id)) };
    },
  }),
];
