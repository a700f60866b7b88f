import { z } from 'zod';
import { atLeastOneField } from '../http/input.ts';
import { userView } from '../users/schema.ts';

const day = z.iso.date({ message: 'must be a date like 2026-09-01' });
const text = (max: number) => z.string().trim().max(max);

const classFields = {
  name: text(200).min(1, 'is required'),
  subject: text(100).nullable().optional(),
  grade_level: text(50).nullable().optional(),
  description: text(5000).nullable().optional(),
  term_start: day.nullable().optional(),
  term_end: day.nullable().optional(),
};

const termOrder = (v: { term_start?: string | null; term_end?: string | null }) => !v.term_start || !v.term_end || v.term_start <= v.term_end;
const termMessage = { message: 'must not be before term_start', path: ['term_end'] };

export const createClassInput = z.strictObject(classFields).refine(termOrder, termMessage);
export type CreateClassInput = z.infer<typeof createClassInput>;

export const updateClassInput = z
  .strictObject({
    ...classFields,
    name: classFields.name.optional(),
    archived: z.boolean().optional().describe('Archived classes stay readable and accept no changes until unarchived.'),
    join_code_enabled: z.boolean().optional(),
  })
  .refine(termOrder, termMessage)
  .apply(atLeastOneField);
export type UpdateClassInput = z.infer<typeof updateClassInput>;

export const joinClassInput = z.strictObject({
  code: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase().replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^[A-Z0-9]{5,12}$/, 'is not a class code')),
});

export const addMemberInput = z.strictObject({
  user_id: z.uuid(),
  role: z.enum(['teacher', 'student']),
});

export const classView = z.object({
  id: z.uuid(),
  name: z.string(),
  subject: z.string().nullable(),
  grade_level: z.string().nullable(),
  description: z.string().nullable(),
  term_start: z.string().nullable(),
  term_end: z.string().nullable(),
  archived: z.boolean(),
  join_code: z.string().nullable().describe('Shown to the class’s teachers and admins; null for students, or when joining is off.'),
  join_code_enabled: z.boolean(),
  created_at: z.string(),
});
export type ClassView = z.infer<typeof classView>;

export const memberView = z.object({
  user: userView.pick({ id: true, first_name: true, last_name: true, email: true }),
  role: z.enum(['teacher', 'student']),
  enrolled_at: z.string(),
});
export type MemberView = z.infer<typeof memberView>;

export const personView = z.object({
  id: z.uuid(),
  first_name: z.string(),
  last_name: z.string(),
  role: z.enum(['teacher', 'student']),
});
export type PersonView = z.infer<typeof personView>;
