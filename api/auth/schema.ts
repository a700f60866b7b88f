import { z } from 'zod';
import { email, password } from '../users/schema.ts';

export const loginInput = z.strictObject({
  email,
  password: z.string().min(1, 'is required').max(200),
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
