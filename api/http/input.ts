// Input rules shared by every feature's zod schemas, written so that the OpenAPI document states
// them too (api/http/openapi.ts reads the JSON Schema zod derives, and a plain `refine` is lost there).
import type { z } from 'zod';

/** A PATCH must change something: refused (422) when empty, `minProperties: 1` in the document.
 * Use with `.apply(atLeastOneField)` or `.apply(atLeastOneField, 'send at least one setting')`. */
export function atLeastOneField<T extends z.ZodType<object>>(schema: T, message = 'send at least one field to change'): T {
  return schema.refine((v) => Object.keys(v).length > 0, { message }).meta({ minProperties: 1 }) as T;
}

/** Exactly one of these fields (a code, or a recovery code): refused (422, on the first field)
 * otherwise, and `oneOf` required-sets in the document. Use with `.apply(exactlyOneOf, [...])`. */
export function exactlyOneOf<T extends z.ZodType<object>>(schema: T, fields: readonly string[]): T {
  const message = `send either ${fields.join(' or ')}`;
  return schema
    .refine((v) => fields.filter((f) => Boolean((v as Record<string, unknown>)[f])).length === 1, { message, path: [fields[0] as string] })
    .meta({ oneOf: fields.map((f) => ({ required: [f] })) }) as T;
}
