// The service provider side of one SAML connection: node-saml options built per request from the
// school's connection (MultiSamlStrategy's getSamlOptions), outstanding request ids kept in
// PostgreSQL (so InResponseTo works across processes), and the checks node-saml leaves to us:
// Destination/Recipient against our ACS URL, the assertion's Issuer, and replay of an assertion id.

import { X509Certificate } from 'node:crypto';
import type { CacheItem, CacheProvider, SamlConfig } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import type { Scope } from '../scope.ts';
import { type Connection, spUrls } from './connections.ts';
import { ssoFailure } from './reasons.ts';

export const REQUEST_TTL_MS = 10 * 60_000;

/** node-saml's request-id cache, stored in saml_requests inside the request's tenant session. */
export function requestIdStore(scope: Scope, connectionId: string): CacheProvider {
  return {
    saveAsync: async (key: string, value: string): Promise<CacheItem | null> => {
      await scope.db('saml_requests').insert({
        tenant_id: scope.tenant.id,
        connection_id: connectionId,
        request_id: key,
        expires_at: new Date(Date.now() + REQUEST_TTL_MS),
      });
      return { value, createdAt: Date.now() };
    },
    getAsync: async (key: string): Promise<string | null> => {
      const row = await scope
        .db('saml_requests')
        .where({ request_id: key, connection_id: connectionId })
        .where('expires_at', '>', scope.db.fn.now())
        .first('created_at');
      return row ? new Date(row.created_at).toISOString() : null;
    },
    removeAsync: async (key: string | null): Promise<string | null> => {
      if (!key) return null;
      await scope.db('saml_requests').where({ request_id: key }).delete();
      return key;
    },
  };
}

export function samlOptions(scope: Scope, connection: Connection, siteUrl: string, clockSkewMs: number): SamlConfig {
  const urls = spUrls(siteUrl, connection.id);
  return {
    entryPoint: connection.sso_url,
    issuer: urls.sp_entity_id,
    callbackUrl: urls.acs_url,
    audience: urls.sp_entity_id,
    // node-saml does not look at certificate dates: only currently valid certificates are trusted.
    idpCert: currentCertificates(connection),
    // Either a signed Response containing the assertion or a signed Assertion: node-saml then
    // demands a valid signature on the assertion whenever the response itself is not signed.
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: connection.allow_idp_initiated ? 'ifPresent' : 'always',
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    acceptedClockSkewMs: clockSkewMs,
    identifierFormat: connection.name_id_format,
    disableRequestedAuthnContext: true,
    cacheProvider: requestIdStore(scope, connection.id),
  } as SamlConfig;
}

export function currentCertificates(connection: Connection, now = new Date()): string[] {
  const valid = connection.certificates.filter((pem) => {
    try {
      const cert = new X509Certificate(pem);
      return new Date(cert.validFrom) <= now && now < new Date(cert.validTo);
    } catch {
      return false;
    }
  });
  if (valid.length === 0) throw ssoFailure('certificates_expired');
  return valid;
}

const select = (expression: string, node: unknown): Element[] => {
  const found = xpath.select(expression, node as Node);
  return (Array.isArray(found) ? found : []) as unknown as Element[];
};

/** Checks on the response (already decoded by the pre-pass) and the verified assertion that node-saml does not make. */
export async function checkBeyondNodeSaml(
  scope: Scope,
  connection: Connection,
  siteUrl: string,
  responseXml: string,
  verifiedAssertionXml: string,
  issuer: string | undefined,
): Promise<void> {
  // node-saml checks the Issuer only on logout messages.
  if (issuer !== connection.idp_entity_id) throw ssoFailure('issuer_mismatch', `issued by ${issuer ?? 'nobody'}, not by ${connection.idp_entity_id}`);
  const acsUrl = spUrls(siteUrl, connection.id).acs_url;
  const response = new DOMParser().parseFromString(responseXml, 'text/xml');
  const destination = response.documentElement?.getAttribute('Destination');
  if (destination && destination !== acsUrl) throw ssoFailure('destination_mismatch', `it is ${destination}, not ${acsUrl}`);
  const assertion = new DOMParser().parseFromString(verifiedAssertionXml, 'text/xml');
  const recipients = select("//*[local-name()='SubjectConfirmationData']/@Recipient", assertion).map((a) => (a as unknown as Attr).value);
  if (recipients.length === 0 && !destination) throw ssoFailure('destination_missing');
  for (const recipient of recipients) {
    if (recipient !== acsUrl) throw ssoFailure('recipient_mismatch', `it is ${recipient}, not ${acsUrl}`);
  }
  const root = assertion.documentElement;
  const assertionId = root?.getAttribute('ID');
  if (!assertionId) throw ssoFailure('malformed', 'the assertion has no ID');
  const notOnOrAfter = select("//*[local-name()='Conditions']/@NotOnOrAfter", assertion)[0] as unknown as Attr | undefined;
  const expires = notOnOrAfter ? new Date(notOnOrAfter.value) : new Date(Date.now() + 60 * 60_000);
  const inserted = await scope.db.raw(
    `insert into saml_replays (tenant_id, connection_id, assertion_id, expires_at) values (?, ?, ?, ?)
     on conflict (tenant_id, connection_id, assertion_id) do nothing returning id`,
    [scope.tenant.id, connection.id, assertionId, new Date(Math.max(expires.getTime(), Date.now()) + 5 * 60_000)],
  );
  if (inserted.rows.length === 0) throw ssoFailure('replay', `assertion ${assertionId}`);
}
