import { z } from 'zod';
import { timeZoneInput } from '../../tenants/timezone.ts';
import { atLeastOneField } from '../http/input.ts';

/** Languages search can stem (migrations/…_search.ts edify_search_config maps them). */
export const SCHOOL_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'it', 'nl', 'sv', 'da', 'nb', 'fi'] as const;

/** An origin a browser app may call this school's API from: scheme, host and optional port. */
export const origin = z
  .string()
  .trim()
  .max(200)
  .refine((v) => {
    try {
      const u = new URL(v);
      const plain = u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password;
      return plain && (u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(u.hostname))) && !v.endsWith('/');
    } catch {
      return false;
    }
  }, 'must be an origin such as https://app.lincoln.org (https, no path; http only for localhost)');

export const updateSchoolInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    timezone: timeZoneInput.optional(),
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #2457c5')
      .optional(),
    require_two_factor: z.boolean().optional().describe('Admins and teachers must use two-factor sign-in.'),
    cors_origins: z.array(origin).max(20).optional().describe('Browser origins allowed to call this school’s API. Empty: none.'),
    sso_required: z.boolean().optional().describe('Everyone signs in through single sign-on; only admins with two-factor sign-in keep a break-glass password.'),
    language: z.enum(SCHOOL_LANGUAGES).optional().describe('The language of the school’s content (ISO 639-1): search stems words in it.'),
    logo_file_id: z
      .uuid()
      .nullable()
      .optional()
      .describe('The logo: a PNG, JPEG or WebP uploaded to POST /api/v1/files?purpose=images; null removes it. Served at GET /logo.'),
  })
  .apply(atLeastOneField, 'send at least one setting to change');
export type UpdateSchoolInput = z.infer<typeof updateSchoolInput>;

export const schoolView = z.object({
  slug: z.string(),
  name: z.string(),
  timezone: z.string(),
  language: z.enum(SCHOOL_LANGUAGES),
  color: z.string().nullable(),
  logo_url: z.string().nullable().describe('The logo’s path on the school’s host (public, cacheable); null: none'),
  settings: z
    .object({ require_two_factor: z.boolean(), sso_required: z.boolean(), cors_origins: z.array(z.string()), seat_limit: z.number().nullable() })
    .optional()
    .describe('Admins only.'),
});
