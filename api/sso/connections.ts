// SAML connections of one school: import from IdP metadata, list, change, remove, and the last
// attempts (the debugging view a school IT admin needs).
import { X509Certificate } from 'node:crypto';
import { isUuid } from '../../tenants/session.ts';
import { audit } from '../audit/service.ts';
import { boundedLine } from '../content/safe-text.ts';
import { forbidden, notFound } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { parseIdpMetadata } from './metadata.ts';
import type { ConnectionSettings } from './schema.ts';

export type Connection = {
  id: string;
  name: string;
  idp_entity_id: string;
  sso_url: string;
  certificates: string[];
  name_id_format: string | null;
  attribute_map: Record<string, string>;
  role_attribute: string | null;
  role_map: Record<string, 'admin' | 'teacher' | 'student'>;
  default_role: 'deny' | 'admin' | 'teacher' | 'student';
  allowed_domains: string[];
  enabled: boolean;
  allow_idp_initiated: boolean;
  idp_is_source: boolean;
};

const COLUMNS = [
  'id',
  'name',
  'idp_entity_id',
  'sso_url',
  'certificates',
  'name_id_format',
  'attribute_map',
  'role_attribute',
  'role_map',
  'default_role',
  'allowed_domains',
  'enabled',
  'allow_idp_initiated',
  'idp_is_source',
];

function assertAdmin(scope: Scope, action: 'read' | 'manage' = 'manage'): void {
  if (scope.ability.cannot(action, 'SsoConnection')) throw forbidden('Only school admins manage single sign-on.');
}

/** The service provider's addresses for a connection, on the school's own subdomain. The entity
 * ID is the metadata URL: stable for the life of the connection. */
export function spUrls(siteUrl: string, connectionId: string) {
  const base = `${siteUrl}/auth/saml/${connectionId}`;
  return { sp_entity_id: `${base}/metadata`, metadata_url: `${base}/metadata`, acs_url: `${base}/acs`, login_url: `${base}/login` };
}

export function presentConnection(c: Connection, siteUrl: string) {
  return {
    id: c.id,
    name: c.name,
    idp_entity_id: c.idp_entity_id,
    sso_url: c.sso_url,
    certificates: c.certificates.map((pem) => {
      const cert = new X509Certificate(pem);
      return { subject: cert.subject, expires_at: new Date(cert.validTo).toISOString(), fingerprint_sha256: cert.fingerprint256 };
    }),
    ...spUrls(siteUrl, c.id),
    attribute_map: c.attribute_map,
    role_attribute: c.role_attribute,
    role_map: c.role_map,
    default_role: c.default_role,
    allowed_domains: c.allowed_domains,
    enabled: c.enabled,
    allow_idp_initiated: c.allow_idp_initiated,
    idp_is_source: c.idp_is_source,
  };
}

function settingsRow(settings: ConnectionSettings): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    row[key] = ['attribute_map', 'role_map', 'allowed_domains'].includes(key) ? JSON.stringify(value) : value;
  }
  return row;
}

export async function createConnection(scope: Scope, metadataXml: string, settings: ConnectionSettings): Promise<Connection> {
  assertAdmin(scope);
  const metadata = parseIdpMetadata(metadataXml);
  const [row] = await scope
    .db('saml_connections')
    .insert({
      tenant_id: scope.tenant.id,
      name: settings.name ?? metadata.entityId,
      idp_entity_id: metadata.entityId,
      sso_url: metadata.ssoUrl,
      certificates: JSON.stringify(metadata.certificates),
      name_id_format: metadata.nameIdFormats.find((f) => f.endsWith(':emailAddress')) ?? metadata.nameIdFormats[0] ?? null,
      ...settingsRow({ ...settings, name: undefined }),
    })
    .returning(COLUMNS);
  await audit(scope, 'sso.connection_created', { type: 'saml_connection', id: row.id }, { idp: metadata.entityId });
  return row;
}

/** Replaces the IdP side (entity, endpoint, certificates) from fresh metadata: certificate rotation. */
export async function refreshConnectionMetadata(scope: Scope, id: string, metadataXml: string): Promise<Connection> {
  assertAdmin(scope);
  await findConnection(scope, id);
  const metadata = parseIdpMetadata(metadataXml);
  const [row] = await scope
    .db('saml_connections')
    .where({ id })
    .update({ idp_entity_id: metadata.entityId, sso_url: metadata.ssoUrl, certificates: JSON.stringify(metadata.certificates), updated_at: scope.db.fn.now() })
    .returning(COLUMNS);
  await audit(scope, 'sso.connection_metadata_updated', { type: 'saml_connection', id }, { certificates: metadata.certificates.length });
  return row;
}

export async function updateConnection(scope: Scope, id: string, settings: ConnectionSettings): Promise<Connection> {
  assertAdmin(scope);
  await findConnection(scope, id);
  const [row] = await scope
    .db('saml_connections')
    .where({ id })
    .update({ ...settingsRow(settings), updated_at: scope.db.fn.now() })
    .returning(COLUMNS);
  await audit(scope, 'sso.connection_updated', { type: 'saml_connection', id }, { fields: Object.keys(settings) });
  return row;
}

export async function listConnections(scope: Scope): Promise<Connection[]> {
  assertAdmin(scope, 'read');
  return scope.db('saml_connections').orderBy('name').select(COLUMNS);
}

/** Any connection of this school (used by the public SAML routes: no ability check). */
export async function findConnection(scope: Scope, id: string): Promise<Connection> {
  const row = isUuid(id) ? await scope.db('saml_connections').where({ id }).first(COLUMNS) : undefined;
  if (!row) throw notFound('The single sign-on connection');
  return row;
}

export async function removeConnection(scope: Scope, id: string): Promise<void> {
  assertAdmin(scope);
  const removed = await scope.db('saml_connections').where({ id }).delete();
  if (removed === 0) throw notFound('The single sign-on connection');
  await audit(scope, 'sso.connection_removed', { type: 'saml_connection', id });
}

export async function recentAttempts(scope: Scope, id: string, limit = 20) {
  assertAdmin(scope, 'read');
  await findConnection(scope, id);
  const rows = await scope.db('sso_attempts').where({ connection_id: id }).orderBy('created_at', 'desc').limit(limit);
  return rows.map((r) => ({
    at: new Date(r.created_at).toISOString(),
    outcome: r.outcome,
    reason_code: r.reason_code,
    // Escaped again on the way out: rows written before reasons were codes held raw text.
    reason: r.reason === null ? null : boundedLine(r.reason, 400),
    subject: r.subject,
    email: r.email,
    user_id: r.user_id,
  }));
}
