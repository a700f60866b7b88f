// Forms on pages: the route accepts the posted fields loosely (strings, bounded), and the handler
// checks them with the SAME zod schema the API uses, so a mistake re-renders the form with the
// person's input kept and each field's message beside it instead of answering a problem page.
import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

export function checkForm<S extends z.ZodType>(schema: S, input: unknown): { ok: true; data: z.output<S> } | { ok: false; errors: FieldErrors } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.join('.') || 'form';
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}
