// Single sign-on for school admins (/admin/sign-on): the school's SAML connections; adding one from
// the IdP's metadata (a URL the server fetches, or the XML uploaded or pasted); role mapping and
// allowed domains; the values to give the IdP (copyable); certificate expiry warnings; a test
// sign-in and the last 20 attempts with their reasons (what `edify sso:test` shows).
import { z } from 'zod';
import { planAllows } from '../billing/plans.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { now, type Scope } from '../scope.ts';
import {
  createConnection,
  findConnection,
  listConnections,
  presentConnection,
  recentAttempts,
  refreshConnectionMetadata,
  removeConnection,
  updateConnection,
} from '../sso/connections.ts';
import { fetchIdpMetadata } from '../sso/fetch-metadata.ts';
import { connectionSettings } from '../sso/schema.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { phrase } from './words.ts';

const csrf = z.string().max(200).optional();
const idParams = z.object({ id: z.uuid() });
const manage = { action: 'manage', subject: 'SsoConnection' } as const;
const SOON_MS = 30 * 86_400_000;
const DEFAULT_ROLES = ['deny', 'teacher', 'student', 'admin'] as const;

const settingsForm = {
  _csrf: csrf,
  name: z.string().max(300).optional(),
  role_attribute: z.string().max(600).optional(),
  role_map: z.string().max(20_000).optional(),
  default_role: z.string().max(20).optional(),
  allowed_domains: z.string().max(5000).optional(),
};
const metadataForm = { metadata_url: z.string().max(2000).optional(), metadata_xml: z.string().max(500_000).optional() };
type SettingsForm = { [K in keyof typeof settingsForm]?: string } & { enabled?: string; metadata_url?: string; metadata_xml?: string };

/** "faculty = teacher" lines → { faculty: 'teacher' }; a line that is not value = role is an error. */
function parseRoleMap(text: string): { map: Record<string, string>; error?: string } {
  const map: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = line.match(/^(.+?)\s*(?:=|→|->)\s*(\w+)$/);
    if (!m?.[1] || !m[2]) return { map, error: `line ${i + 1} is not “value = role”` };
    map[m[1].trim()] = m[2].toLowerCase();
  }
  return { map };
}

const roleMapText = (map: Record<string, string>) =>
  Object.entries(map)
    .map(([value, role]) => `${value} = ${role}`)
    .join('\n');

/** The form as the API's connection settings, checked by the API's own schema. */
function settingsFrom(form: SettingsForm, withEnabled: boolean) {
  const roleMap = parseRoleMap(form.role_map ?? '');
  const input = {
    name: form.name?.trim() || undefined,
    role_attribute: form.role_attribute?.trim() || null,
    role_map: roleMap.map,
    default_role: form.default_role || 'deny',
    allowed_domains: (form.allowed_domains ?? '').split(/[\s,;]+/).filter(Boolean),
    ...(withEnabled ? { enabled: form.enabled === 'on' } : {}),
  };
  const checked = checkForm(connectionSettings, input);
  if (roleMap.error) {
    const errors = checked.ok ? {} : checked.errors;
    return { ok: false as const, errors: { ...errors, role_map: roleMap.error } };
  }
  if (checked.ok) return checked;
  // "role_map.faculty" and "allowed_domains.0" → the form's field.
  const errors: FieldErrors = {};
  for (const [field, message] of Object.entries(checked.errors)) errors[field.split('.')[0] ?? field] ??= message;
  return { ok: false as const, errors };
}

/** The metadata XML from the form: pasted or uploaded text, or else fetched from the URL. */
async function metadataFrom(form: {
  metadata_url?: string | undefined;
  metadata_xml?: string | undefined;
}): Promise<{ xml: string } | { errors: FieldErrors }> {
  const xml = form.metadata_xml?.trim();
  if (xml) return { xml };
  const url = form.metadata_url?.trim();
  if (!url) return { errors: { metadata_xml: 'give the metadata URL, or upload or paste the XML' } };
  try {
    return { xml: await fetchIdpMetadata(url) };
  } catch (error) {
    if (error instanceof AppError && error.status < 500) return { errors: { metadata_url: error.errors?.[0]?.message ?? error.message } };
    throw error;
  }
}

/** A refusal of the metadata itself (not XML, no certificate...) on the field it came from. */
function metadataErrors(error: unknown, form: { metadata_xml?: string | undefined }): FieldErrors {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  const message = error.errors?.[0]?.message ?? error.message;
  return form.metadata_xml?.trim() ? { metadata_xml: message } : { metadata_url: message };
}

const roleOptions = (chosen: string) =>
  DEFAULT_ROLES.map((r) => ({
    value: r,
    label: r === 'deny' ? phrase('admin.deny') : phrase('admin.get_role', { role: phrase(`admin.role.${r}`) }),
    chosen: r === chosen,
  }));

async function listPage(scope: Scope, siteUrl: string, form: SettingsForm = {}, errors?: FieldErrors, done?: string) {
  const at = now(scope).getTime();
  const connections = (await listConnections(scope)).map((c) => {
    const view = presentConnection(c, siteUrl);
    return { ...view, expiring: view.certificates.some((cert) => new Date(cert.expires_at).getTime() - at < SOON_MS) };
  });
  return {
    title: phrase('admin.signon'),
    current: '/admin',
    connections,
    form,
    errors,
    defaultRoles: roleOptions(form.default_role ?? 'deny'),
    notice: done === 'removed' ? phrase('admin.done.removed') : undefined,
  };
}

async function connectionPage(scope: Scope, siteUrl: string, id: string, extra: { done?: string | undefined; form?: SettingsForm; errors?: FieldErrors } = {}) {
  const view = presentConnection(await findConnection(scope, id), siteUrl);
  const attempts = await recentAttempts(scope, id);
  const at = now(scope).getTime();
  const form: SettingsForm = extra.form ?? {
    name: view.name,
    role_attribute: view.role_attribute ?? '',
    role_map: roleMapText(view.role_map),
    default_role: view.default_role,
    allowed_domains: view.allowed_domains.join(', '),
    enabled: view.enabled ? 'on' : undefined,
  };
  const done = extra.done && /^[a-z_]+$/.test(extra.done) ? phrase(`admin.done.${extra.done}`) : undefined;
  return {
    title: view.name,
    current: '/admin',
    connection: view,
    spValues: [
      { id: 'sp-entity', label: phrase('admin.sp_entity'), value: view.sp_entity_id },
      { id: 'sp-acs', label: phrase('admin.acs'), value: view.acs_url },
      { id: 'sp-metadata', label: phrase('admin.sp_metadata'), value: view.metadata_url },
      { id: 'sp-login', label: phrase('admin.login_url'), value: view.login_url },
    ],
    certificates: view.certificates.map((c) => {
      const left = new Date(c.expires_at).getTime() - at;
      return { ...c, expired: left <= 0, soon: left > 0 && left < SOON_MS };
    }),
    attempts: attempts.map((a) => ({ ...a, outcomeLabel: phrase(`admin.outcome.${a.outcome}`) })),
    testUrl: `${view.login_url}?return_to=${encodeURIComponent(`/admin/sign-on/${id}`)}`,
    form,
    errors: extra.errors,
    defaultRoles: roleOptions(form.default_role ?? 'deny'),
    notice: done && !done.startsWith('admin.done.') ? done : undefined,
  };
}

export const adminSignOnPages = [
  pageRoute({
    method: 'get',
    path: '/admin/sign-on',
    summary: 'Single sign-on: the school’s SAML connections, and adding one',
    access: manage,
    allowReadOnly: true,
    query: z.object({ done: z.string().max(40).optional() }),
    handler: async ({ scope, deps, query }) =>
      page(scope, deps, 'admin-sign-on', await listPage(scope, schoolUrl(deps.config, scope.tenant.slug), {}, undefined, query.done)),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/sign-on',
    summary: 'Connect an identity provider from its metadata (URL, uploaded or pasted XML)',
    access: manage,
    form: true,
    body: z.object({ ...settingsForm, ...metadataForm }),
    handler: async ({ scope, deps, body }) => {
      const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
      const { _csrf, ...form } = body;
      const again = async (errors: FieldErrors, status = 422) => ({
        ...page(scope, deps, 'admin-sign-on', await listPage(scope, siteUrl, form, errors)),
        status,
      });
      if (!planAllows(deps.plans, scope.tenant.plan, 'sso')) {
        return again({ form: 'Single sign-on is not part of this school’s plan. Change the plan in Billing.' }, 402);
      }
      const settings = settingsFrom(form, false);
      if (!settings.ok) return again(settings.errors);
      const metadata = await metadataFrom(form);
      if ('errors' in metadata) return again(metadata.errors);
      let created: Awaited<ReturnType<typeof createConnection>>;
      try {
        created = await createConnection(scope, metadata.xml, settings.data);
      } catch (error) {
        return again(metadataErrors(error, form));
      }
      return { redirect: `/admin/sign-on/${created.id}?done=created` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/admin/sign-on/:id',
    summary: 'One connection: what to give the IdP, certificates, mapping, a test sign-in and the last 20 attempts',
    access: manage,
    allowReadOnly: true,
    params: idParams,
    query: z.object({ done: z.string().max(40).optional() }),
    handler: async ({ scope, deps, params, query }) =>
      page(scope, deps, 'admin-connection', await connectionPage(scope, schoolUrl(deps.config, scope.tenant.slug), params.id, { done: query.done })),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/sign-on/:id',
    summary: 'Change a connection’s role mapping, allowed domains, name, or turn it on or off',
    access: manage,
    params: idParams,
    form: true,
    body: z.object({ ...settingsForm, enabled: z.literal('on').optional() }),
    handler: async ({ scope, deps, params, body }) => {
      const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
      const { _csrf, ...form } = body;
      const settings = settingsFrom(form, true);
      if (!settings.ok)
        return { ...page(scope, deps, 'admin-connection', await connectionPage(scope, siteUrl, params.id, { form, errors: settings.errors })), status: 422 };
      await updateConnection(scope, params.id, settings.data);
      return { redirect: `/admin/sign-on/${params.id}?done=saved` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/sign-on/:id/metadata',
    summary: 'Replace a connection’s IdP metadata (certificate rotation)',
    access: manage,
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf, ...metadataForm }),
    handler: async ({ scope, deps, params, body }) => {
      const siteUrl = schoolUrl(deps.config, scope.tenant.slug);
      const again = async (errors: FieldErrors) => ({
        ...page(scope, deps, 'admin-connection', await connectionPage(scope, siteUrl, params.id, { errors: errors })),
        status: 422,
      });
      const metadata = await metadataFrom(body);
      if ('errors' in metadata) return again(metadata.errors);
      try {
        await refreshConnectionMetadata(scope, params.id, metadata.xml);
      } catch (error) {
        return again(metadataErrors(error, body));
      }
      return { redirect: `/admin/sign-on/${params.id}?done=metadata` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/sign-on/:id/remove',
    summary: 'Remove a connection',
    access: manage,
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf }),
    handler: async ({ scope, params }) => {
      await removeConnection(scope, params.id);
      return { redirect: '/admin/sign-on?done=removed' };
    },
  }),
];
