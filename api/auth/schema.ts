import { z } from 'zod';
import { exactlyOneOf } from '../http/input.ts';
import { email, password } from '../users/schema.ts';

export const sessionMode = z
  .enum(['token', 'cookie'])
  .default('token')
  .describe('token: access and refresh tokens in the body (API clients). cookie: an HttpOnly session cookie and a CSRF token (web pages).');

export const loginInput = z.strictObject({
  email,
  password: z.string().min(1, 'is required').max(200),
  session: sessionMode,
});

export const refreshInput = z.strictObject({
  refresh_token: z.string().min(20).max(200),
});

export const resetRequestInput = z.strictObject({ email });
export const resetConfirmInput = z.strictObject({
  token: z.string().min(20).max(200),
  password,
});

export const tokenView = z.object({
  access_token: z.string(),
  refresh_token: z.string().describe('Single use; store it safely and exchange it at /api/v1/auth/refresh.'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until the access token expires.'),
  session_id: z.uuid(),
});

export const sessionView = z.object({
  id: z.uuid(),
  kind: z.enum(['api', 'browser']),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string(),
  current: z.boolean(),
});

export const browserSessionView = z.object({
  csrf_token: z.string().describe('Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE.'),
  session_id: z.uuid(),
  expires_at: z.string(),
});

export const loginResult = z.union([
  browserSessionView.extend({ two_factor_enrolment_required: z.boolean() }),
  tokenView.extend({ two_factor_enrolment_required: z.boolean().describe('The school requires 2FA: only enrolment works until it is set up.') }),
  z.object({
    two_factor_required: z.literal(true),
    challenge_token: z.string().describe('Exchange with a code at POST /api/v1/auth/two-factor within 5 minutes.'),
  }),
]);

const code = z
  .string()
  .trim()
  .regex(/^\d{3}\s?\d{3}$/, 'must be the 6-digit code from your authenticator app');
const recoveryCode = z.string().trim().min(8).max(40);

export const secondFactorInput = z
  .strictObject({ challenge_token: z.string().min(20).max(2000), code: code.optional(), recovery_code: recoveryCode.optional(), session: sessionMode })
  .apply(exactlyOneOf, ['code', 'recovery_code']);

export const factorInput = z.strictObject({ code: code.optional(), recovery_code: recoveryCode.optional() }).apply(exactlyOneOf, ['code', 'recovery_code']);

export const confirmInput = z.strictObject({ code });

export const enrolmentView = z.object({
  secret: z.string().describe('For typing into an authenticator app by hand.'),
  otpauth_uri: z.string(),
  qr_code: z.string().describe('A PNG data URL of the otpauth URI.'),
});

export const recoveryCodesView = z.object({ recovery_codes: z.array(z.string()).describe('Shown once. Each works once.') });
