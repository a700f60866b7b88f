// A real SAML 2.0 identity provider for tests: it publishes metadata shaped like what ADFS, Okta and
// Shibboleth publish, reads the SP's AuthnRequest from the HTTP-Redirect binding, and answers with a
// Response for the HTTP-POST binding, signed the way real IdPs sign (enveloped XML-DSig, exclusive
// C14N, RSA-SHA256, SHA-256 digests, the signature right after the element's Issuer, the signing
// certificate in KeyInfo). It also forges what attackers send: unknown keys, tampered attributes and
// XML signature wrapping (XSW). Nothing is stubbed: the SP under test verifies real signatures.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

export type KeyName = 'idp' | 'idp-next' | 'attacker' | 'expired';
export type KeyPair = { key: string; cert: string; certBody: string };

export const SAML_NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const NAMEID_FORMAT = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

export const SAML_BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const XS = 'http://www.w3.org/2001/XMLSchema';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const ATTRNAME_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'saml');
const keyPairs = new Map<KeyName, KeyPair>();

/** A key pair from test/fixtures/saml: PEM private key, PEM certificate, and the certificate's base64 DER on one line. */
export function keyPair(name: KeyName): KeyPair {
  let pair = keyPairs.get(name);
  if (!pair) {
    const key = readFileSync(path.join(FIXTURES, `${name}.key`), 'utf8');
    const cert = readFileSync(path.join(FIXTURES, `${name}.crt`), 'utf8');
    pair = { key, cert, certBody: pemBody(cert) };
    keyPairs.set(name, pair);
  }
  return pair;
}

/** The base64 between a PEM's BEGIN and END lines, without whitespace. */
export function pemBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '')
    .replace(/\s+/g, '')
    .trim();
}

/** An XML ID as IdPs make them: an NCName, so never starting with a digit. */
export function samlId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

export function decodeSamlResponse(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

export function encodeSamlResponse(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Metadata

export type MetadataPart = 'signing-cert' | 'sso-endpoint';

export type IdpMetadataOptions = {
  entityId: string;
  ssoUrl: string;
  /** PEM certificates: the first is published with use="signing", the others without a use attribute. */
  certs: string[];
  validUntil?: string;
  /** Default: `<ssoUrl>/logout` (SingleLogoutService, HTTP-Redirect). */
  sloUrl?: string;
  /** Parts to leave out, for negative tests (see also idpMetadataWithout). */
  omit?: MetadataPart[];
  /** md:Extensions on the entity (mdrpi) and on the IdP role (shibmd:Scope); default true. */
  extensions?: boolean;
  /** Sign the EntityDescriptor (enveloped, first child) as ADFS and federations do; default unsigned. */
  signWith?: KeyName;
};

/**
 * IdP metadata shaped like real IdPs publish it. The IDPSSODescriptor holds, in schema order:
 * md:Extensions, a KeyDescriptor use="signing" (certs[0], base64 on one line as ADFS/Okta do),
 * KeyDescriptors without `use` for further certs (base64 wrapped at 64 columns and indented, as
 * Shibboleth does), a KeyDescriptor use="encryption" holding the ATTACKER certificate (a parser
 * that takes encryption keys as signing keys trusts the attacker), a SingleLogoutService, NameIDFormats
 * emailAddress and persistent, and SingleSignOnService for HTTP-Redirect and HTTP-POST (same Location).
 * Organization and ContactPerson follow.
 */
export function idpMetadata(options: IdpMetadataOptions): string {
  const omit = new Set(options.omit ?? []);
  const extensions = options.extensions ?? true;
  const sloUrl = options.sloUrl ?? `${options.ssoUrl.replace(/\/+$/, '')}/logout`;
  const keyDescriptor = (use: string | undefined, body: string) =>
    `    <md:KeyDescriptor${use ? ` use="${use}"` : ''}>
      <ds:KeyInfo>
        <ds:X509Data>
          <ds:X509Certificate>${body}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>`;
  const wrapped = (pem: string) => `\n${(pemBody(pem).match(/.{1,64}/g) ?? []).map((line) => `            ${line}`).join('\n')}\n          `;
  const keys: string[] = [];
  if (!omit.has('signing-cert')) {
    options.certs.forEach((cert, index) => {
      keys.push(index === 0 ? keyDescriptor('signing', pemBody(cert)) : keyDescriptor(undefined, wrapped(cert)));
    });
  }
  keys.push(keyDescriptor('encryption', keyPair('attacker').certBody));
  const sso = omit.has('sso-endpoint')
    ? []
    : [
        `    <md:SingleSignOnService Binding="${SAML_BINDING.redirect}" Location="${esc(options.ssoUrl)}"/>`,
        `    <md:SingleSignOnService Binding="${SAML_BINDING.post}" Location="${esc(options.ssoUrl)}"/>`,
      ];
  const host = hostOf(options.entityId);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${SAML_NS.metadata}" xmlns:ds="${SAML_NS.dsig}" ID="${samlId()}" entityID="${esc(options.entityId)}"${
      options.validUntil ? ` validUntil="${esc(options.validUntil)}"` : ''
    } cacheDuration="PT1H">`,
    ...(extensions
      ? [
          '  <md:Extensions>',
          `    <mdrpi:RegistrationInfo xmlns:mdrpi="urn:oasis:names:tc:SAML:metadata:rpi" registrationAuthority="https://federation.test/"/>`,
          '  </md:Extensions>',
        ]
      : []),
    `  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${SAML_NS.protocol}">`,
    ...(extensions
      ? [
          '    <md:Extensions>',
          `      <shibmd:Scope xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" regexp="false">${esc(host)}</shibmd:Scope>`,
          '    </md:Extensions>',
        ]
      : []),
    ...keys,
    `    <md:SingleLogoutService Binding="${SAML_BINDING.redirect}" Location="${esc(sloUrl)}"/>`,
    `    <md:NameIDFormat>${NAMEID_FORMAT.email}</md:NameIDFormat>`,
    `    <md:NameIDFormat>${NAMEID_FORMAT.persistent}</md:NameIDFormat>`,
    ...sso,
    '  </md:IDPSSODescriptor>',
    '  <md:Organization>',
    '    <md:OrganizationName xml:lang="en">District Test</md:OrganizationName>',
    '    <md:OrganizationDisplayName xml:lang="en">District Test Identity</md:OrganizationDisplayName>',
    `    <md:OrganizationURL xml:lang="en">https://${esc(host)}/</md:OrganizationURL>`,
    '  </md:Organization>',
    '  <md:ContactPerson contactType="technical">',
    '    <md:GivenName>IT</md:GivenName>',
    '    <md:SurName>Helpdesk</md:SurName>',
    `    <md:EmailAddress>mailto:it@${esc(host)}</md:EmailAddress>`,
    '  </md:ContactPerson>',
    '</md:EntityDescriptor>',
  ];
  const xml = lines.join('\n');
  if (!options.signWith) return xml;
  return signElement(xml, "/*[local-name()='EntityDescriptor']", { reference: "/*[local-name()='EntityDescriptor']", action: 'prepend' }, options.signWith);
}

/** Metadata missing a part: 'signing-cert' leaves only the (attacker's) encryption key; 'sso-endpoint' has no SingleSignOnService. */
export function idpMetadataWithout(part: MetadataPart, options: IdpMetadataOptions): string {
  return idpMetadata({ ...options, omit: [...(options.omit ?? []), part] });
}

// ---------------------------------------------------------------------------------------------
// Responses

export type SignMode = 'assertion' | 'response' | 'both' | 'none';
export type Attributes = Record<string, string | string[]>;

export type SamlResponseOptions = {
  /** The IdP's entity ID: saml:Issuer of the Response and of the Assertion. */
  issuer: string;
  /** The SP's ACS URL: Destination on the Response. */
  destination: string;
  /** The SP's entity ID, in Conditions/AudienceRestriction/Audience. */
  audience: string;
  /** SubjectConfirmationData Recipient; default = destination. */
  recipient?: string;
  /** The AuthnRequest's ID, on the Response and SubjectConfirmationData; undefined = IdP-initiated. */
  inResponseTo?: string;
  /** Default 'teacher@district.test'. */
  nameId?: string;
  /** Default emailAddress. */
  nameIdFormat?: string;
  /** saml:Attribute (NameFormat basic, AttributeValue xsi:type="xs:string"); default email/firstName/lastName. `{}` for no AttributeStatement. */
  attributes?: Attributes;
  /** Base time for IssueInstant, AuthnInstant and the default validity window; default now. */
  now?: Date;
  /** Conditions NotBefore; default now - 1 min. */
  notBefore?: Date;
  /** Conditions NotOnOrAfter; default now + 5 min. */
  notOnOrAfter?: Date;
  /** SubjectConfirmationData NotOnOrAfter; default now + 5 min. */
  subjectNotOnOrAfter?: Date;
  assertionId?: string;
  responseId?: string;
  sessionIndex?: string;
  /** Default 'assertion'. 'both' signs the assertion first, then the response. */
  sign?: SignMode;
  /** Default 'idp'. */
  signWith?: KeyName;
  /** A non-Success top-level status (e.g. urn:oasis:names:tc:SAML:2.0:status:Responder): the Response then carries no assertion. */
  status?: { code: string; subCode?: string; message?: string };
  /** Leave out the Response's Destination and/or the SubjectConfirmationData's Recipient (both: nothing names an ACS URL). */
  omit?: ('destination' | 'recipient')[];
  /** Tamper with the XML after the signatures are computed. */
  afterSigning?: (xml: string) => string;
};

export const DEFAULT_NAME_ID = 'teacher@district.test';

/** The base64 SAMLResponse form field of an HTTP-POST binding response. */
export function buildSamlResponse(options: SamlResponseOptions): string {
  const now = options.now ?? new Date();
  const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
  const nameId = options.nameId ?? DEFAULT_NAME_ID;
  const attributes = options.attributes ?? { email: nameId, firstName: 'Tess', lastName: 'Teacher' };
  const responseId = options.responseId ?? samlId();
  const assertionId = options.assertionId ?? samlId();
  const inResponseTo = options.inResponseTo === undefined ? '' : ` InResponseTo="${esc(options.inResponseTo)}"`;
  const instant = iso(now);
  const success = !options.status || options.status.code === SUCCESS;
  const omit = new Set(options.omit ?? []);
  const recipient = omit.has('recipient') ? '' : ` Recipient="${esc(options.recipient ?? options.destination)}"`;
  const destination = omit.has('destination') ? '' : ` Destination="${esc(options.destination)}"`;

  const assertion = [
    `<saml:Assertion xmlns:saml="${SAML_NS.assertion}" xmlns:xs="${XS}" xmlns:xsi="${XSI}" ID="${esc(assertionId)}" Version="2.0" IssueInstant="${instant}">`,
    `<saml:Issuer>${esc(options.issuer)}</saml:Issuer>`,
    '<saml:Subject>',
    `<saml:NameID Format="${esc(options.nameIdFormat ?? NAMEID_FORMAT.email)}">${esc(nameId)}</saml:NameID>`,
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${iso(options.subjectNotOnOrAfter ?? minutes(5))}"${recipient}/>`,
    '</saml:SubjectConfirmation>',
    '</saml:Subject>',
    `<saml:Conditions NotBefore="${iso(options.notBefore ?? minutes(-1))}" NotOnOrAfter="${iso(options.notOnOrAfter ?? minutes(5))}">`,
    `<saml:AudienceRestriction><saml:Audience>${esc(options.audience)}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="${esc(options.sessionIndex ?? samlId())}">`,
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>',
    '</saml:AuthnStatement>',
    attributeStatementXml(attributes),
    '</saml:Assertion>',
  ].join('');

  const status = options.status ?? { code: SUCCESS };
  const statusXml = [
    '<samlp:Status>',
    `<samlp:StatusCode Value="${esc(status.code)}">`,
    status.subCode ? `<samlp:StatusCode Value="${esc(status.subCode)}"/>` : '',
    '</samlp:StatusCode>',
    status.message ? `<samlp:StatusMessage>${esc(status.message)}</samlp:StatusMessage>` : '',
    '</samlp:Status>',
  ].join('');

  let xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" xmlns:saml="${SAML_NS.assertion}" ID="${esc(responseId)}" Version="2.0" IssueInstant="${instant}"${destination}${inResponseTo}>`,
    `<saml:Issuer>${esc(options.issuer)}</saml:Issuer>`,
    statusXml,
    success ? assertion : '',
    '</samlp:Response>',
  ].join('');

  const sign = options.sign ?? 'assertion';
  const key = options.signWith ?? 'idp';
  const responsePath = "/*[local-name()='Response']";
  const assertionPath = `${responsePath}/*[local-name()='Assertion']`;
  if ((sign === 'assertion' || sign === 'both') && success) {
    xml = signElement(xml, assertionPath, { reference: `${assertionPath}/*[local-name()='Issuer']`, action: 'after' }, key);
  }
  if (sign === 'response' || sign === 'both') {
    xml = signElement(xml, responsePath, { reference: `${responsePath}/*[local-name()='Issuer']`, action: 'after' }, key);
  }
  if (options.afterSigning) xml = options.afterSigning(xml);
  return encodeSamlResponse(xml);
}

/** Sets the first AttributeValue of the named attribute (in every assertion) after signing. */
export function changeAttributeAfterSigning(base64: string, name: string, value: string): string {
  const doc = parseXml(decodeSamlResponse(base64));
  let changed = false;
  for (const attribute of descendants(rootOf(doc), SAML_NS.assertion, 'Attribute')) {
    if (attribute.getAttribute('Name') !== name) continue;
    const first = children(attribute, SAML_NS.assertion, 'AttributeValue')[0];
    if (!first) continue;
    first.textContent = value;
    changed = true;
    break;
  }
  if (!changed) throw new Error(`changeAttributeAfterSigning: the response has no attribute ${name} with a value`);
  return encodeSamlResponse(serialize(doc));
}

// ---------------------------------------------------------------------------------------------
// XML signature wrapping

/**
 * - 'before': the evil assertion is inserted before the signed one, both children of the Response
 *   (a parser reading "the first assertion" reads the evil one).
 * - 'inside': the evil assertion takes the signed one's place and carries it in its saml:Advice (a
 *   schema-valid home for assertions); a parser that verifies "some signature in the document" and
 *   then reads Response/Assertion reads the evil one.
 * - 'extensions': the evil assertion takes the signed one's place; the signed one moves into the
 *   Response's samlp:Extensions.
 */
export type XswVariant = 'before' | 'inside' | 'extensions';

/** An XSW attack on a response with a signed assertion: adds an unsigned assertion (new ID, the attacker's NameID/attributes). Returns base64. */
export function wrapWithUnsignedAssertion(base64Response: string, evil: { nameId: string; attributes?: Attributes }, variant: XswVariant = 'before'): string {
  const doc = parseXml(decodeSamlResponse(base64Response));
  const response = rootOf(doc);
  if (response.localName !== 'Response') throw new Error('wrapWithUnsignedAssertion: not a samlp:Response');
  const signed = children(response, SAML_NS.assertion, 'Assertion').find((a) => children(a, SAML_NS.dsig, 'Signature').length > 0);
  if (!signed) throw new Error('wrapWithUnsignedAssertion: the response has no signed assertion');

  const forged = signed.cloneNode(true) as Element;
  forged.setAttribute('ID', samlId());
  for (const signature of children(forged, SAML_NS.dsig, 'Signature')) forged.removeChild(signature);
  const subject = children(forged, SAML_NS.assertion, 'Subject')[0];
  const nameId = subject && children(subject, SAML_NS.assertion, 'NameID')[0];
  if (!nameId) throw new Error('wrapWithUnsignedAssertion: the signed assertion has no Subject/NameID');
  nameId.textContent = evil.nameId;
  if (evil.attributes) {
    const replacement = importFragment(doc, attributeStatementXml(evil.attributes));
    const existing = children(forged, SAML_NS.assertion, 'AttributeStatement');
    for (const statement of existing) forged.removeChild(statement);
    if (replacement) forged.appendChild(replacement);
  }

  const prefix = signed.prefix ? `${signed.prefix}:` : '';
  if (variant === 'before') {
    response.insertBefore(forged, signed);
  } else if (variant === 'inside') {
    response.replaceChild(forged, signed);
    const advice = doc.createElementNS(SAML_NS.assertion, `${prefix}Advice`);
    advice.appendChild(signed);
    // Advice comes after Conditions and before the statements.
    const statement = elementChildren(forged).find((e) => /Statement$/.test(e.localName ?? ''));
    forged.insertBefore(advice, statement ?? null);
  } else {
    response.replaceChild(forged, signed);
    const protocolPrefix = response.prefix ? `${response.prefix}:` : '';
    const extensions = doc.createElementNS(SAML_NS.protocol, `${protocolPrefix}Extensions`);
    extensions.appendChild(signed);
    // Response children: Issuer, Signature?, Extensions?, Status, assertions.
    const status = children(response, SAML_NS.protocol, 'Status')[0];
    response.insertBefore(extensions, status ?? forged);
  }
  return encodeSamlResponse(serialize(doc));
}

/** A second ds:SignedInfo (a copy of the first) in every signature: verifiers that canonicalise one SignedInfo and check another are fooled. */
export function duplicateSignedInfo(base64Response: string): string {
  const doc = parseXml(decodeSamlResponse(base64Response));
  const signedInfos = descendants(rootOf(doc), SAML_NS.dsig, 'SignedInfo');
  if (signedInfos.length === 0) throw new Error('duplicateSignedInfo: the response is not signed');
  for (const signedInfo of signedInfos) signedInfo.parentNode?.insertBefore(signedInfo.cloneNode(true), signedInfo.nextSibling);
  return encodeSamlResponse(serialize(doc));
}

/** `depth` nested elements inside a samlp:Extensions of the Response (a parser-exhaustion payload; the response signature, if any, no longer matches). */
export function withNestedExtensions(base64Response: string, depth: number): string {
  const xml = decodeSamlResponse(base64Response);
  const nested = `<samlp:Extensions>${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}</samlp:Extensions>`;
  const out = xml.replace(/(<samlp:Status>)/, `${nested}$1`);
  if (out === xml) throw new Error('withNestedExtensions: no samlp:Status to insert before');
  return encodeSamlResponse(out);
}

// ---------------------------------------------------------------------------------------------
// AuthnRequest (HTTP-Redirect binding)

export type AuthnRequestInfo = {
  id: string;
  issuer: string;
  acsUrl: string | undefined;
  destination: string | undefined;
  relayState: string | undefined;
  xml: string;
};

/** Decodes the SP's HTTP-Redirect URL to the IdP: SAMLRequest (base64 of raw DEFLATE) and RelayState. */
export function readAuthnRequest(redirectLocation: string): AuthnRequestInfo {
  const url = new URL(redirectLocation);
  const encoded = url.searchParams.get('SAMLRequest');
  if (!encoded) throw new Error(`readAuthnRequest: no SAMLRequest parameter in ${redirectLocation}`);
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const root = rootOf(parseXml(xml));
  if (root.localName !== 'AuthnRequest' || root.namespaceURI !== SAML_NS.protocol) {
    throw new Error(`readAuthnRequest: SAMLRequest is not a samlp:AuthnRequest: ${xml}`);
  }
  const id = root.getAttribute('ID');
  if (!id) throw new Error('readAuthnRequest: the AuthnRequest has no ID');
  const issuer = children(root, SAML_NS.assertion, 'Issuer')[0]?.textContent?.trim();
  if (!issuer) throw new Error('readAuthnRequest: the AuthnRequest has no Issuer');
  return {
    id,
    issuer,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
    destination: root.getAttribute('Destination') || undefined,
    relayState: url.searchParams.get('RelayState') ?? undefined,
    xml,
  };
}

// ---------------------------------------------------------------------------------------------
// Internals

function signElement(xml: string, xpath: string, location: { reference: string; action: 'after' | 'prepend' }, signWith: KeyName): string {
  const { key, cert } = keyPair(signWith);
  const sig = new SignedXml({ privateKey: key, publicCert: cert, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256 });
  sig.computeSignature(xml, { prefix: 'ds', location });
  return sig.getSignedXml();
}

function attributeStatementXml(attributes: Attributes): string {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return '';
  const attribute = ([name, value]: [string, string | string[]]) =>
    `<saml:Attribute Name="${esc(name)}" NameFormat="${ATTRNAME_BASIC}">${(Array.isArray(value) ? value : [value])
      .map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`)
      .join('')}</saml:Attribute>`;
  return `<saml:AttributeStatement>${entries.map(attribute).join('')}</saml:AttributeStatement>`;
}

function importFragment(doc: Document, fragment: string): Node | undefined {
  if (!fragment) return undefined;
  const wrapper = rootOf(parseXml(`<wrapper xmlns:saml="${SAML_NS.assertion}" xmlns:xs="${XS}" xmlns:xsi="${XSI}">${fragment}</wrapper>`));
  const element = elementChildren(wrapper)[0];
  return element ? doc.importNode(element, true) : undefined;
}

/** Parses strictly: any XML error (not a warning) throws. */
export function parseXml(xml: string): Document {
  const fail = (message: string) => {
    throw new Error(`Invalid XML: ${message}`);
  };
  const doc = new DOMParser({ errorHandler: { warning: () => {}, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
  if (!doc?.documentElement) throw new Error('Invalid XML: no root element');
  return doc;
}

function rootOf(doc: Document): Element {
  if (!doc.documentElement) throw new Error('Invalid XML: no root element');
  return doc.documentElement;
}

function serialize(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}

function elementChildren(node: Node): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (child.nodeType === 1) out.push(child as Element);
  return out;
}

function children(node: Node, namespace: string, localName: string): Element[] {
  return elementChildren(node).filter((e) => e.namespaceURI === namespace && e.localName === localName);
}

function descendants(node: Node, namespace: string, localName: string): Element[] {
  const out: Element[] = [];
  for (const child of elementChildren(node)) {
    if (child.namespaceURI === namespace && child.localName === localName) out.push(child);
    out.push(...descendants(child, namespace, localName));
  }
  return out;
}

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** xs:dateTime in UTC, as IdPs write it. */
function iso(date: Date): string {
  return date.toISOString();
}

function hostOf(entityId: string): string {
  try {
    return new URL(entityId).hostname || 'district.test';
  } catch {
    return 'district.test';
  }
}
