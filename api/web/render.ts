// Handlebars pages: templates/pages/<name>.hbs inside templates/layouts/main.hbs, with the
// partials in templates/partials/. Every value is escaped ({{ }}); triple-stash is used only for
// Markdown the server has already sanitised (api/content/markdown.ts) and for the rendered body
// inside the layout. Words go through {{t}} (api/web/words.ts) so a school's language can change
// later; dates are written in the school's time zone, the way people say them.
import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { safeColor } from '../mail/mailer.ts';
import { logoOf, logoPath } from '../school/logo.ts';
import { assetUrl } from './assets.ts';
import { phrase } from './words.ts';

const ROOT = new URL('../../templates/', import.meta.url);
const hbs = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

hbs.registerHelper('t', (key: string, ...rest: unknown[]) => {
  const options = rest.pop() as Handlebars.HelperOptions;
  return phrase(key, options.hash ?? {});
});
hbs.registerHelper('asset', (name: string) => assetUrl(name));
hbs.registerHelper('urlencode', (value: unknown) => encodeURIComponent(String(value ?? '')));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
hbs.registerHelper('not', (a: unknown) => !a);
hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
hbs.registerHelper('minutes', (seconds: unknown) => Math.max(0, Math.ceil(Number(seconds) / 60)));
hbs.registerHelper('count', (list: unknown) => (Array.isArray(list) ? list.length : 0));
/** {{when value}}: "Fri 5 Dec, 09:00" in the school's time zone (the page's `school.timezone`). */
hbs.registerHelper('when', function (this: unknown, value: unknown, options: Handlebars.HelperOptions) {
  return formatWhen(value, (options.data?.root as { school?: { timezone?: string } })?.school?.timezone);
});
/** {{isoTime value}}: the machine-readable form for <time datetime="">. */
hbs.registerHelper('isoTime', (value: unknown) => {
  const date = toDate(value);
  return date ? date.toISOString() : '';
});

for (const file of safeReaddir(new URL('partials/', ROOT))) {
  if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), readFileSync(new URL(`partials/${file}`, ROOT), 'utf8'));
}

function safeReaddir(url: URL): string[] {
  try {
    return readdirSync(url);
  } catch {
    return [];
  }
}

function template(path: string): HandlebarsTemplateDelegate {
  let compiled = cache.get(path);
  if (!compiled) {
    compiled = hbs.compile(readFileSync(new URL(path, ROOT), 'utf8'), { strict: false });
    cache.set(path, compiled);
  }
  return compiled;
}

function toDate(value: unknown): Date | undefined {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

const formats = new Map<string, Intl.DateTimeFormat>();
export function formatWhen(value: unknown, timeZone = 'UTC'): string {
  const date = toDate(value);
  if (!date) return '';
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone });
    formats.set(timeZone, format);
  }
  return format.format(date);
}

/** The school as every page shows it: name, colour (the theme stylesheet's version), zone and
 * the logo's address when it has one (api/school/logo.ts). */
export type PageSchool = { name: string; slug: string; timezone: string; color: string; logo?: string };

export function pageSchool(tenant: { name: string; slug: string; timezone: string; settings: Record<string, unknown> }): PageSchool {
  const logo = logoOf(tenant);
  return {
    name: tenant.name,
    slug: tenant.slug,
    timezone: tenant.timezone,
    color: safeColor(tenant.settings?.color).slice(1),
    ...(logo ? { logo: logoPath(logo) } : {}),
  };
}

export function renderPage(name: string, data: Record<string, unknown>): string {
  const body = template(`pages/${name}.hbs`)(data);
  return template('layouts/main.hbs')({ ...data, body });
}
