import { z } from 'zod';
import { email } from '../users/schema.ts';

const relationship = z.string().trim().min(1).max(50).optional().describe('How the guardian is related, e.g. "mother", "carer".');
const name = z.string().trim().min(1, 'is required').max(100);

export const linkGuardianInput = z.union([
  z.strictObject({ guardian_id: z.uuid().describe('An existing guardian of this school.'), relationship }),
  z
    .strictObject({ email, first_name: name, last_name: name, relationship })
    .describe('Links the guardian with this email, inviting them first if they are new to the school.'),
]);
export type LinkGuardianInput = z.infer<typeof linkGuardianInput>;

export const guardianView = z.object({
  id: z.uuid(),
  first_name: z.string(),
  last_name: z.string(),
  email: z.string(),
  status: z.enum(['invited', 'active', 'deactivated']),
  relationship: z.string().nullable(),
  linked_at: z.string(),
});
export type GuardianView = z.infer<typeof guardianView>;

export const linkedStudentView = z.object({
  id: z.uuid(),
  first_name: z.string(),
  last_name: z.string(),
  relationship: z.string().nullable(),
  classes: z.array(z.object({ id: z.uuid(), name: z.string() })),
});
export type LinkedStudentView = z.infer<typeof linkedStudentView>;
