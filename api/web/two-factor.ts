// Two-step sign-in in the browser: the status page, enrolment (QR code and the secret to type by
// hand, then a first code) and the recovery codes shown once. A school that requires it sends
// people here first (api/web/errors.ts).
import { z } from 'zod';
import { confirmEnrolment, hasTwoFactor, pendingEnrolment, schoolRequiresTwoFactor, startEnrolment } from '../auth/two-factor.ts';
import { AppError } from '../errors.ts';
import { LIMITS } from '../http/rate-limit.ts';
import type { Scope } from '../scope.ts';
import { page, pageRoute } from './page.ts';

const csrfOnly = z.object({ _csrf: z.string().max(200).optional() });

async function status(scope: Scope) {
  const user = scope.actor.type === 'user' ? scope.actor.user : undefined;
  return { on: user ? await hasTwoFactor(scope, user.id) : false, required: user ? schoolRequiresTwoFactor(scope, user.role) : false };
}

export const twoFactorPages = [
  pageRoute({
    method: 'get',
    path: '/me/two-factor',
    summary: 'Two-step sign-in: on or off, and setting it up',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    handler: async ({ scope, deps }) => page(scope, deps, 'two-factor-settings', { title: 'Two-step sign-in', narrow: true, ...(await status(scope)) }),
  }),
  pageRoute({
    method: 'post',
    path: '/me/two-factor/start',
    summary: 'Start setting up two-step sign-in: shows the QR code',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    form: true,
    body: csrfOnly,
    handler: async ({ scope, deps }) => {
      const enrolment = await startEnrolment(scope, { box: deps.secretBox, mailer: deps.mailer });
      return page(scope, deps, 'two-factor-settings', { title: 'Two-step sign-in', narrow: true, ...(await status(scope)), enrolment });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/me/two-factor/confirm',
    summary: 'Turn two-step sign-in on with a first code; shows the recovery codes once',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), code: z.string().max(20) }),
    limits: [{ ...LIMITS.secondFactor, per: 'account' }],
    handler: async ({ scope, deps, body }) => {
      try {
        const { recovery_codes } = await confirmEnrolment(scope, { box: deps.secretBox, mailer: deps.mailer }, body.code.replace(/\s+/g, ''));
        return page(scope, deps, 'two-factor-settings', { title: 'Two-step sign-in', narrow: true, on: true, recoveryCodes: recovery_codes });
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'validation-failed') throw error;
        // The same secret stays pending: the same QR code again, with the message.
        const enrolment = await pendingEnrolment(scope, { box: deps.secretBox, mailer: deps.mailer });
        return {
          ...page(scope, deps, 'two-factor-settings', {
            title: 'Two-step sign-in',
            narrow: true,
            ...(await status(scope)),
            enrolment,
            codeError: error.errors?.[0]?.message ?? error.message,
          }),
          status: 422,
        };
      }
    },
  }),
];
