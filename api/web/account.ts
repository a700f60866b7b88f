// Pages every emailed link lands on: accept an invitation (choose a password, or use the
// district sign-in), reset a forgotten password, confirm an email address. A link that expired
// or was used explains what to do next instead of showing an error.
import { z } from 'zod';
import { completeSignIn } from '../auth/complete-sign-in.ts';
import { confirmPasswordReset, requestPasswordReset } from '../auth/password-reset.ts';
import { schoolRequiresTwoFactor } from '../auth/two-factor.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { bodyField, LIMITS } from '../http/rate-limit.ts';
import { settingsOf } from '../school/service.ts';
import { confirmEmail } from '../users/email-verification.ts';
import { invitationState, redeemInvitation } from '../users/invitations.ts';
import { User } from '../users/model.ts';
import { email, password } from '../users/schema.ts';
import { checkForm } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { signInOptions } from './sign-in.ts';
import { phrase } from './words.ts';

const tokenQuery = z.object({ token: z.string().max(200).optional() });
const passwordForm = z.object({ token: z.string().max(200), password: z.string().max(1000), confirm: z.string().max(1000) });
const choosePassword = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: 'does not match the password', path: ['confirm'] });

/** The link's token problem as words for a page; anything else is rethrown. */
function linkProblem(error: unknown): string {
  if (error instanceof AppError && error.code === 'validation-failed') return error.message;
  throw error;
}

export const accountPages = [
  pageRoute({
    method: 'get',
    path: '/accept-invite',
    summary: 'The emailed invitation link: choose a password (or use the district sign-in)',
    access: 'public',
    allowReadOnly: true,
    query: tokenQuery,
    handler: async ({ scope, deps, query }) => {
      const state = query.token ? await invitationState(scope, query.token) : ({ ok: false, problem: 'is not a valid invitation' } as const);
      if (!state.ok)
        return page(scope, deps, 'link-problem', { title: 'Invitation', narrow: true, kind: 'invite', detail: `This invitation ${state.problem}.` });
      const sso = settingsOf(scope.tenant).sso_required;
      return page(scope, deps, 'accept-invite', {
        title: 'Welcome',
        narrow: true,
        token: query.token,
        email: state.email,
        firstName: state.firstName,
        sso,
        ...(await signInOptions(scope)),
      });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/accept-invite',
    summary: 'Accept an invitation with a new password and sign in',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: passwordForm,
    limits: [LIMITS.inviteAccept],
    handler: async ({ scope, deps, ctx, body }) => {
      const state = await invitationState(scope, body.token);
      if (!state.ok)
        return page(scope, deps, 'link-problem', { title: 'Invitation', narrow: true, kind: 'invite', detail: `This invitation ${state.problem}.` });
      const checked = checkForm(choosePassword, body);
      if (!checked.ok) {
        return {
          ...page(scope, deps, 'accept-invite', {
            title: 'Welcome',
            narrow: true,
            token: body.token,
            email: state.email,
            firstName: state.firstName,
            errors: checked.errors,
          }),
          status: 422,
        };
      }
      const userId = await redeemInvitation(scope, body.token, checked.data.password);
      const user = await User.query(scope.db).findById(userId).throwIfNotFound();
      await completeSignIn(ctx, scope, deps, user, { mode: 'cookie', enrolmentOnly: schoolRequiresTwoFactor(scope, user.role) });
      return { redirect: '/' };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/forgot-password',
    summary: 'Ask for a password reset email',
    access: 'public',
    allowReadOnly: true,
    handler: async ({ scope, deps }) => page(scope, deps, 'forgot-password', { title: 'Forgot password', narrow: true }),
  }),
  pageRoute({
    method: 'post',
    path: '/forgot-password',
    summary: 'Send the password reset email (the same answer whether or not the address is known)',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: z.object({ email: z.string().max(320) }),
    limits: [{ ...LIMITS.resetRequest, by: bodyField('email') }],
    handler: async ({ scope, deps, body }) => {
      const checked = checkForm(z.object({ email }), body);
      if (!checked.ok) {
        return { ...page(scope, deps, 'forgot-password', { title: 'Forgot password', narrow: true, email: body.email, errors: checked.errors }), status: 422 };
      }
      await requestPasswordReset(scope, checked.data.email, { mailer: deps.mailer, siteUrl: schoolUrl(deps.config, scope.tenant.slug) });
      return page(scope, deps, 'forgot-password', { title: 'Forgot password', narrow: true, sent: true });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/reset-password',
    summary: 'The emailed reset link: choose a new password',
    access: 'public',
    allowReadOnly: true,
    query: tokenQuery,
    handler: async ({ scope, deps, query }) => page(scope, deps, 'reset-password', { title: 'New password', narrow: true, token: query.token ?? '' }),
  }),
  pageRoute({
    method: 'post',
    path: '/reset-password',
    summary: 'Set the new password; every device is signed out',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: passwordForm,
    limits: [LIMITS.inviteAccept],
    handler: async ({ scope, deps, body }) => {
      const checked = checkForm(choosePassword, body);
      if (!checked.ok)
        return { ...page(scope, deps, 'reset-password', { title: 'New password', narrow: true, token: body.token, errors: checked.errors }), status: 422 };
      try {
        await confirmPasswordReset(scope, body.token, checked.data.password);
      } catch (error) {
        return page(scope, deps, 'link-problem', { title: 'New password', narrow: true, kind: 'reset', detail: linkProblem(error) });
      }
      return { redirect: '/sign-in?reset=1' };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/verify-email',
    summary: 'The emailed confirmation link (a button, so mail scanners that open links confirm nothing)',
    access: 'public',
    allowReadOnly: true,
    query: tokenQuery,
    handler: async ({ scope, deps, query }) => page(scope, deps, 'verify-email', { title: 'Confirm your email', narrow: true, token: query.token ?? '' }),
  }),
  pageRoute({
    method: 'post',
    path: '/verify-email',
    summary: 'Confirm the email address',
    access: 'public',
    allowReadOnly: true,
    form: true,
    body: z.object({ token: z.string().max(200) }),
    limits: [LIMITS.inviteAccept],
    handler: async ({ scope, deps, body }) => {
      try {
        await confirmEmail(scope, body.token);
      } catch (error) {
        return page(scope, deps, 'link-problem', { title: 'Confirm your email', narrow: true, kind: 'verify', detail: linkProblem(error) });
      }
      return page(scope, deps, 'verify-email', { title: 'Confirm your email', narrow: true, done: true, notice: phrase('verify.done') });
    },
  }),
];
