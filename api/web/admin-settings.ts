// /admin/settings: a school's name, colour, time zone, language, two-step sign-in requirement and
// the browser origins allowed to call its API, through the same service and zod schema as
// PATCH /api/v1/school (api/school). Only what changed is sent, so the audit entry names it.
// The logo has its own small form: the picker (assets/upload.js) uploads the image to the file
// service (purpose `images`, checked there), and the form sets it as PATCH /api/v1/school
// `logo_file_id` does (api/school/logo.ts: PNG, JPEG or WebP only); "Remove the logo" sends null.
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { logoOf, logoPath } from '../school/logo.ts';
import { SCHOOL_LANGUAGES, type UpdateSchoolInput, updateSchoolInput } from '../school/schema.ts';
import { settingsOf, updateSchool } from '../school/service.ts';
import type { Scope } from '../scope.ts';
import { fileIdList, fileIdsField } from './attach.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { phrase } from './words.ts';

const LANGUAGE_NAMES: Record<(typeof SCHOOL_LANGUAGES)[number], string> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  pt: 'Português',
  it: 'Italiano',
  nl: 'Nederlands',
  sv: 'Svenska',
  da: 'Dansk',
  nb: 'Norsk bokmål',
  fi: 'Suomi',
};

const ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

const settingsForm = z.object({
  _csrf: z.string().max(200).optional(),
  name: z.string().max(500),
  color: z.string().max(50),
  timezone: z.string().max(100),
  language: z.string().max(10),
  require_two_factor: z.string().max(10).optional(),
  cors_origins: z.string().max(10_000).default(''),
});
type SettingsForm = z.infer<typeof settingsForm>;

/** What the form shows: the school as it is, or the person's input after a mistake. */
function view(scope: Scope, input?: SettingsForm) {
  const current = settingsOf(scope.tenant);
  const values = input
    ? { ...input, require_two_factor: input.require_two_factor !== undefined }
    : {
        name: scope.tenant.name,
        color: current.color ?? '#2457c5',
        timezone: scope.tenant.timezone,
        language: current.language,
        require_two_factor: current.require_two_factor,
        cors_origins: current.cors_origins.join('\n'),
      };
  const zones = ZONES.includes(values.timezone) ? ZONES : [values.timezone, ...ZONES];
  const logo = logoOf(scope.tenant);
  return {
    values,
    logo: logo ? logoPath(logo) : undefined,
    scripts: ['upload.js'],
    zones: zones.map((id) => ({ id, selected: id === values.timezone })),
    languages: SCHOOL_LANGUAGES.map((id) => ({ id, name: LANGUAGE_NAMES[id], selected: id === values.language })),
  };
}

/** The changed fields as PATCH /api/v1/school takes them. */
function changes(scope: Scope, input: SettingsForm): Record<string, unknown> {
  const current = settingsOf(scope.tenant);
  const origins = input.cors_origins
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const wanted: Record<string, unknown> = {
    name: input.name,
    color: input.color.toLowerCase(),
    timezone: input.timezone,
    language: input.language,
    require_two_factor: input.require_two_factor !== undefined,
    cors_origins: origins,
  };
  const before: Record<string, unknown> = {
    name: scope.tenant.name,
    color: current.color?.toLowerCase() ?? null,
    timezone: scope.tenant.timezone,
    language: current.language,
    require_two_factor: current.require_two_factor,
    cors_origins: current.cors_origins,
  };
  return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(before[key])));
}

/** Field messages, with an origin's line named ("cors_origins.1" → the second line). */
function fieldErrors(errors: FieldErrors, origins: string[]): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    const line = /^cors_origins\.(\d+)$/.exec(field);
    if (line) out.cors_origins ??= `“${origins[Number(line[1])] ?? ''}” ${message}`;
    else out[field] ??= message;
  }
  return out;
}

export const adminSettingsPages = [
  pageRoute({
    method: 'get',
    path: '/admin/settings',
    summary: 'School settings (admins)',
    access: { action: 'update', subject: 'School' },
    query: z.object({ saved: z.enum(['1', 'logo', 'logo-removed']).optional() }),
    handler: async ({ scope, deps, query }) =>
      page(scope, deps, 'admin-settings', {
        title: phrase('settings.title'),
        current: '/admin',
        saved: query.saved === '1',
        logoSaved: query.saved === 'logo' ? phrase('settings.logo_saved') : query.saved === 'logo-removed' ? phrase('settings.logo_removed') : undefined,
        ...view(scope),
      }),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/settings/logo',
    summary: 'Set the school’s logo (the form): an image uploaded by the picker',
    access: { action: 'update', subject: 'School' },
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), file_ids: fileIdsField }),
    handler: async ({ scope, deps, body }) => {
      // The picker may hold more than one image: the last one chosen is the logo.
      const fileId = fileIdList(body.file_ids).at(-1);
      let message: string | undefined;
      if (!fileId) message = phrase('settings.logo_pick_first');
      else {
        const checked = checkForm(updateSchoolInput, { logo_file_id: fileId });
        if (!checked.ok) message = `The logo ${Object.values(checked.errors)[0] ?? 'is not valid'}.`;
        else {
          try {
            await updateSchool(scope, checked.data as UpdateSchoolInput);
          } catch (error) {
            if (!(error instanceof AppError) || error.code !== 'validation-failed') throw error;
            message = `The logo ${error.errors?.[0]?.message ?? 'is not valid'}.`;
          }
        }
      }
      if (message === undefined) return { redirect: '/admin/settings?saved=logo' };
      return {
        ...page(scope, deps, 'admin-settings', { title: phrase('settings.title'), current: '/admin', errors: { logo: message }, ...view(scope) }),
        status: 422,
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/settings/logo/remove',
    summary: 'Remove the school’s logo (the form)',
    access: { action: 'update', subject: 'School' },
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope }) => {
      if (logoOf(scope.tenant)) await updateSchool(scope, { logo_file_id: null });
      return { redirect: '/admin/settings?saved=logo-removed' };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/settings',
    summary: 'Save the school settings (the form)',
    access: { action: 'update', subject: 'School' },
    form: true,
    body: settingsForm,
    handler: async ({ scope, deps, body }) => {
      const changed = changes(scope, body);
      if (Object.keys(changed).length === 0) return { redirect: '/admin/settings?saved=1' };
      const checked = checkForm(updateSchoolInput, changed);
      if (!checked.ok) {
        const origins = Array.isArray(changed.cors_origins) ? (changed.cors_origins as string[]) : [];
        return {
          ...page(scope, deps, 'admin-settings', {
            title: phrase('settings.title'),
            current: '/admin',
            errors: fieldErrors(checked.errors, origins),
            ...view(scope, body),
          }),
          status: 422,
        };
      }
      await updateSchool(scope, checked.data as UpdateSchoolInput);
      return { redirect: '/admin/settings?saved=1' };
    },
  }),
];
