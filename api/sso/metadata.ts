// Reads an IdP's SAML metadata: entity ID, SSO endpoint, signing certificates, NameID formats.
// Every problem is precise (not XML, no IdP descriptor, no SSO endpoint, no signing certificate,
// expired certificate) so a school IT admin knows what to fix; nothing is saved on error.
import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import { invalid } from '../errors.ts';

export type IdpMetadata = { entityId: string; ssoUrl: string; certificates: string[]; nameIdFormats: string[] };

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const selectNs = xpath.useNamespaces({ md: 'urn:oasis:names:tc:SAML:2.0:metadata', ds: 'http://www.w3.org/2000/09/xmldsig#' });
const select = (expression: string, context: unknown): Element[] => {
  const found = selectNs(expression, context as Node);
  return (Array.isArray(found) ? found : []) as unknown as Element[];
};

const problem = (message: string) => invalid([{ in: 'body', field: 'metadata', message }], `The IdP metadata cannot be used: ${message}.`);

export function parseIdpMetadata(xml: string, now = new Date()): IdpMetadata {
  const errors: string[] = [];
  // IdP metadata is machine-written: even xmldom's "warnings" (unclosed tags) mean it is broken.
  const collect = (message: string) => errors.push(message.replace(/^\[xmldom \w+\]\s*/, '').split('\n')[0] ?? message);
  const parser = new DOMParser({ errorHandler: { warning: collect, error: collect, fatalError: collect } });
  const text = xml.trim();
  if (!text.startsWith('<')) throw problem('it is not XML');
  const doc = parser.parseFromString(text, 'text/xml');
  if (errors.length > 0 || !doc?.documentElement) throw problem(`it is not well-formed XML (${errors[0] ?? 'no root element'})`);
  // Metadata may be an EntitiesDescriptor holding several entities: take the one with an IdP role.
  const entity = select('//md:EntityDescriptor[md:IDPSSODescriptor]', doc)[0];
  if (!entity) throw problem('it has no EntityDescriptor with an IDPSSODescriptor (is this the service provider’s metadata?)');
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw problem('the EntityDescriptor has no entityID');
  const idp = select('md:IDPSSODescriptor', entity)[0] as Element;

  const services = select('md:SingleSignOnService', idp);
  const byBinding = (binding: string) => services.find((s) => s.getAttribute('Binding') === binding)?.getAttribute('Location');
  const ssoUrl = byBinding(REDIRECT) ?? byBinding(POST);
  if (!ssoUrl) throw problem('it has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  if (!/^https?:\/\//.test(ssoUrl)) throw problem(`the SingleSignOnService location "${ssoUrl}" is not an http(s) URL`);

  // Signing keys: KeyDescriptors with use="signing" or with no use; never use="encryption".
  const keyNodes = select('md:KeyDescriptor', idp).filter((k) => {
    const use = k.getAttribute('use');
    return !use || use === 'signing';
  });
  const bodies = keyNodes.flatMap((k) => select('.//ds:X509Certificate', k).map((c) => (c.textContent ?? '').replace(/\s+/g, '')));
  const unique = [...new Set(bodies.filter(Boolean))];
  if (unique.length === 0) throw problem('it has no signing certificate (a KeyDescriptor with use="signing" or no use)');
  const certificates: string[] = [];
  for (const body of unique) {
    const pem = toPem(body);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw problem('a signing certificate is not a valid X.509 certificate');
    }
    if (new Date(cert.validTo) < now) {
      // Keep going if another, current certificate is present (rotation in progress).
      continue;
    }
    certificates.push(pem);
  }
  if (certificates.length === 0) throw problem(`every signing certificate has expired (the newest expired on ${latestExpiry(unique)})`);
  const nameIdFormats = select('md:NameIDFormat', idp)
    .map((n) => (n.textContent ?? '').trim())
    .filter(Boolean);
  return { entityId, ssoUrl, certificates, nameIdFormats };
}

export function toPem(body: string): string {
  const lines = body.replace(/\s+/g, '').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function latestExpiry(bodies: string[]): string {
  const dates = bodies.map((b) => {
    try {
      return new Date(new X509Certificate(toPem(b)).validTo);
    } catch {
      return new Date(0);
    }
  });
  return new Date(Math.max(...dates.map((d) => d.getTime()))).toISOString().slice(0, 10);
}
