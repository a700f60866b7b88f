import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { isCommonPassword } from '../auth/password-policy.ts';
import { atLeastOneField } from '../http/input.ts';

export const email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }))
  .transform((v) => v.toLowerCase());

export const roleSchema = z.enum(['admin', 'teacher', 'student', 'guardian']);

export const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(200, 'must be at most 200 characters')
  .refine((v) => !isCommonPassword(v), 'is one of the most common passwords; choose something less guessable');

const name = z.string().trim().min(1, 'is required').max(100);

export const createUserInput = z.strictObject({
  email,
  first_name: name,
  last_name: name,
  role: roleSchema,
  password: password.optional().describe('Leave out to create an account that cannot sign in with a password yet.'),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const userView = z.object({
  id: z.uuid(),
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  role: roleSchema,
  status: z.enum(['invited', 'active', 'deactivated']),
  created_at: z.string().describe('ISO 8601, UTC'),
});
export type UserView = z.infer<typeof userView>;

export const inviteInput = z.strictObject({
  email,
  first_name: name,
  last_name: name,
  role: roleSchema,
  class_ids: z.array(z.uuid()).max(50).optional().describe('Classes to place the person in; required for teachers inviting students.'),
});

export const importInput = z.strictObject({
  csv: z
    .string()
    .min(1)
    // The whole request body is limited to BODY_LIMIT (1 MB by default): the field says so.
    .max(1_000_000)
    .describe('CSV with a header row: email, first_name, last_name, role, class_codes (join codes, separated by spaces or semicolons).'),
  dry_run: z.boolean().default(false).describe('Check every row and report, importing nothing.'),
});

export const importReport = z.object({
  dry_run: z.boolean(),
  rows: z.number().int(),
  created: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), column: z.string(), reason: z.string() })),
});

export const acceptInviteInput = z.strictObject({
  token: z.string().min(20).max(200),
  password,
});

export const updateUserInput = z
  .strictObject({
    first_name: name.optional(),
    last_name: name.optional(),
    role: roleSchema.optional().describe('Takes effect on the person’s next request.'),
    status: z.enum(['active', 'deactivated']).optional().describe('Deactivated people are signed out at once and cannot sign in.'),
  })
  .apply(atLeastOneField);
export type UpdateUserInput = z.infer<typeof updateUserInput>;
