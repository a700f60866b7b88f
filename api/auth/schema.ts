import { z } from 'zod';
import { email } from '../users/schema.ts';

export const loginInput = z.strictObject({
  email,
  password: z.string().min(1, 'is required').max(200),
});

export const tokenView = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds until the token expires.'),
});
