// Two-factor sign-in: the second step of login, enrolment, turning it off, recovery codes, and an
// admin's reset for someone who lost their device.

import { z } from 'zod';
import { LIMITS } from '../http/rate-limit.ts';
import { tenantRoute } from '../http/route.ts';
import { findManageableUser } from '../users/service.ts';
import { signInWithSecondFactor } from './login.ts';
import { confirmInput, enrolmentView, factorInput, loginResult, recoveryCodesView, secondFactorInput } from './schema.ts';
import { confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, resetTwoFactor, startEnrolment } from './two-factor.ts';

// Second-factor guesses are limited per verified account: the signed-in user, or the subject of a
// challenge token whose signature checked out. Junk requests spend no one's allowance.
const secondFactorLimit = { ...LIMITS.secondFactor, per: 'account' } as const;

const idParams = z.object({ id: z.uuid() });

export const twoFactorRoutes = [
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/two-factor',
    summary: 'Finish signing in with a TOTP code or a recovery code',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: secondFactorInput,
    limits: [secondFactorLimit],
    responses: { 200: { description: 'Signed in', schema: loginResult } },
    handler: async ({ scope, body, deps, ctx, limitAccount }) => {
      const result = await signInWithSecondFactor(ctx, scope, deps, body, body.session, limitAccount);
      if (result.outcome !== 'signed-in') return { problem: result.problem };
      return { body: result.session, headers: { 'Cache-Control': 'no-store' } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/two-factor',
    summary: 'Start setting up two-factor sign-in',
    description: 'Returns a secret, an otpauth URI and its QR code. Confirm with a first code to turn it on.',
    tags: ['two-factor'],
    allowReadOnly: true,
    access: 'signed-in',
    duringEnrolment: true,
    responses: { 200: { description: 'Scan the QR code with an authenticator app', schema: enrolmentView } },
    handler: async ({ scope, deps }) => ({
      body: await startEnrolment(scope, { box: deps.secretBox, mailer: deps.mailer }),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/two-factor/confirm',
    summary: 'Turn two-factor sign-in on with a first code',
    tags: ['two-factor'],
    allowReadOnly: true,
    access: 'signed-in',
    duringEnrolment: true,
    body: confirmInput,
    limits: [secondFactorLimit],
    responses: { 200: { description: 'On; keep the recovery codes somewhere safe', schema: recoveryCodesView } },
    handler: async ({ scope, body, deps }) => ({
      body: await confirmEnrolment(scope, { box: deps.secretBox, mailer: deps.mailer }, body.code),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/two-factor/disable',
    summary: 'Turn two-factor sign-in off (needs a current code)',
    tags: ['two-factor'],
    allowReadOnly: true,
    access: 'signed-in',
    body: factorInput,
    limits: [secondFactorLimit],
    responses: { 204: { description: 'Off' } },
    handler: async ({ scope, body, deps }) => {
      await disableTwoFactor(scope, { box: deps.secretBox, mailer: deps.mailer }, body);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/two-factor/recovery-codes',
    summary: 'Replace your recovery codes (needs a current code)',
    tags: ['two-factor'],
    allowReadOnly: true,
    access: 'signed-in',
    body: factorInput,
    limits: [secondFactorLimit],
    responses: { 200: { description: 'New codes; the old ones stop working', schema: recoveryCodesView } },
    handler: async ({ scope, body, deps }) => ({
      body: await regenerateRecoveryCodes(scope, { box: deps.secretBox, mailer: deps.mailer }, body),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/users/:id/two-factor',
    summary: 'Reset someone’s two-factor sign-in (lost device)',
    tags: ['two-factor'],
    allowReadOnly: true,
    access: { action: 'update', subject: 'User' },
    params: idParams,
    responses: { 204: { description: 'Reset; they set it up again at their next sign-in if the school requires it' } },
    handler: async ({ scope, params, deps }) => {
      await findManageableUser(scope, params.id);
      await resetTwoFactor(scope, { box: deps.secretBox, mailer: deps.mailer }, params.id);
      return {};
    },
  }),
];
