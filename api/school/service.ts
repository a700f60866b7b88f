// A school's own settings. Admins change them through the API; operators through the CLI.

import { TENANT_FIELDS } from '../../tenants/session.ts';
import { audit } from '../audit/service.ts';
import { type Config, schoolUrl } from '../config.ts';
import { forbidden } from '../errors.ts';
import type { Scope, Tenant } from '../scope.ts';
import { attachLogo, logoOf, logoPath } from './logo.ts';
import { SCHOOL_LANGUAGES, type UpdateSchoolInput } from './schema.ts';

type SchoolLanguage = (typeof SCHOOL_LANGUAGES)[number];

/** Tables whose rows are indexed for search in the school's language (migrations/…_search.ts). */
const SEARCHABLE = ['classes', 'homework', 'resources', 'notices'];

export type SchoolSettings = { require_two_factor: boolean; sso_required: boolean; cors_origins: string[]; color: string | null; language: SchoolLanguage };

export function settingsOf(tenant: Pick<Tenant, 'settings'>): SchoolSettings {
  const s = tenant.settings ?? {};
  return {
    require_two_factor: s.require_two_factor === true,
    sso_required: s.sso_required === true,
    cors_origins: Array.isArray(s.cors_origins) ? (s.cors_origins as unknown[]).filter((o): o is string => typeof o === 'string') : [],
    color: typeof s.color === 'string' ? s.color : null,
    language: (SCHOOL_LANGUAGES as readonly unknown[]).includes(s.language) ? (s.language as SchoolLanguage) : 'en',
  };
}

export function presentSchool(scope: Scope) {
  const t = scope.tenant;
  const settings = settingsOf(t);
  const logo = logoOf(t);
  return {
    slug: t.slug,
    name: t.name,
    timezone: t.timezone,
    language: settings.language,
    color: settings.color,
    logo_url: logo ? logoPath(logo) : null,
    ...(scope.ability.can('update', 'School')
      ? {
          settings: {
            require_two_factor: settings.require_two_factor,
            sso_required: settings.sso_required,
            cors_origins: settings.cors_origins,
            seat_limit: t.seat_limit,
          },
        }
      : {}),
  };
}

export async function updateSchool(scope: Scope, input: UpdateSchoolInput): Promise<Tenant> {
  if (scope.ability.cannot('update', 'School')) throw forbidden('Only school admins change school settings.');
  const { name, timezone, logo_file_id, ...settingChanges } = input;
  const settings: Record<string, unknown> = { ...scope.tenant.settings, ...settingChanges };
  if (logo_file_id !== undefined) {
    const logo = await attachLogo(scope, logo_file_id);
    if (logo) settings.logo = logo;
    else delete settings.logo;
  }
  const [updated] = await scope
    .db('tenants')
    .where({ id: scope.tenant.id })
    .update({ ...(name ? { name } : {}), ...(timezone ? { timezone } : {}), settings: JSON.stringify(settings), updated_at: scope.db.fn.now() })
    .returning(TENANT_FIELDS);
  if (input.language && input.language !== settingsOf(scope.tenant).language) {
    // Re-index in the new language: the generated search columns follow search_config. One
    // statement per table; a school's content is small enough to do this in the request.
    for (const table of SEARCHABLE) await scope.db(table).update({ search_config: scope.db.raw('edify_search_config(tenant_id)') });
  }
  await audit(
    scope,
    'school.settings_changed',
    { type: 'tenant', id: scope.tenant.id },
    {
      fields: Object.keys(input),
      ...settingChanges,
      ...(logo_file_id !== undefined ? { logo_file_id } : {}),
    },
  );
  scope.tenant = updated;
  return updated;
}

/** How a school appears in its emails' header (read by the email job when it sends): its logo
 * (api/school/logo.ts) by its absolute address on the school's host, given the configuration;
 * else a `logo_url` an operator put in the settings (the mailer accepts only http(s)). */
export function mailSchool(scope: Pick<Scope, 'tenant'>, config?: Config): { name: string; slug: string; color?: string; logo_url?: string } {
  const color = settingsOf(scope.tenant).color;
  const uploaded = logoOf(scope.tenant);
  const logo = uploaded && config ? `${schoolUrl(config, scope.tenant.slug)}${logoPath(uploaded)}` : scope.tenant.settings?.logo_url;
  return { name: scope.tenant.name, slug: scope.tenant.slug, ...(color ? { color } : {}), ...(typeof logo === 'string' ? { logo_url: logo } : {}) };
}
