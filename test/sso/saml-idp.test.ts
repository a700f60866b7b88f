// The test IdP (test/helpers/saml-idp.ts) speaks SAML 2.0: node-saml itself, unstubbed, accepts what
// a real IdP would send and rejects what an attacker would. These tests also pin down what node-saml
// does NOT check (Destination, Recipient, Issuer, certificate dates, SubjectConfirmationData times
// unless InResponseTo is validated), which the app's service provider must check itself.
import { type Profile, SAML, type SamlConfig, SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import test from 'ava';
import { SignedXml } from 'xml-crypto';
import {
  buildSamlResponse,
  changeAttributeAfterSigning,
  DEFAULT_NAME_ID,
  decodeSamlResponse,
  encodeSamlResponse,
  idpMetadata,
  idpMetadataWithout,
  keyPair,
  NAMEID_FORMAT,
  parseXml,
  readAuthnRequest,
  SAML_BINDING,
  SAML_NS,
  type SamlResponseOptions,
  wrapWithUnsignedAssertion,
} from '../helpers/saml-idp.ts';

const IDP = 'https://idp.test/metadata';
const SP = 'https://school.test/sp';
const ACS = 'https://school.test/acs';
const SSO = 'https://idp.test/sso';

const config: SamlConfig = {
  idpCert: keyPair('idp').cert,
  issuer: SP,
  audience: SP,
  callbackUrl: ACS,
  entryPoint: SSO,
  wantAssertionsSigned: true,
  wantAuthnResponseSigned: false,
  validateInResponseTo: ValidateInResponseTo.never,
};
const sp = (overrides: Partial<SamlConfig> = {}) => new SAML({ ...config, ...overrides });
const base = { issuer: IDP, destination: ACS, audience: SP };
const response = (options: Partial<SamlResponseOptions> = {}) => buildSamlResponse({ ...base, ...options });

async function accept(saml: SAML, SAMLResponse: string): Promise<Profile> {
  const { profile, loggedOut } = await saml.validatePostResponseAsync({ SAMLResponse });
  if (!profile) throw new Error('node-saml returned no profile');
  if (loggedOut) throw new Error('node-saml read a logout');
  return profile;
}
const reject = (saml: SAML, SAMLResponse: string) => saml.validatePostResponseAsync({ SAMLResponse });
const minutesFromNow = (n: number) => new Date(Date.now() + n * 60_000);

test('a default response, assertion signed, validates and yields the NameID, attributes and session', async (t) => {
  const profile = await accept(
    sp(),
    response({ attributes: { email: 'tess@district.test', groups: ['staff', 'science'] }, sessionIndex: '_s1', assertionId: '_a1', responseId: '_r1' }),
  );
  t.is(profile.nameID, DEFAULT_NAME_ID);
  t.is(profile.nameIDFormat, NAMEID_FORMAT.email);
  t.is(profile.issuer, IDP);
  t.is(profile.sessionIndex, '_s1');
  t.deepEqual(profile.attributes, { email: 'tess@district.test', groups: ['staff', 'science'] });
  t.is(profile.email, 'tess@district.test'); // attributes are also copied onto the profile
  t.deepEqual(profile.groups, ['staff', 'science']);
  t.is(profile.inResponseTo, undefined); // IdP-initiated
  // The assertion's ID is not a profile field (profile.ID is only set for LogoutRequests): read it from the verified assertion XML.
  t.is(profile.ID, undefined);
  const assertion = parseXml(profile.getAssertionXml?.() ?? '').documentElement;
  t.is(assertion?.localName, 'Assertion');
  t.is(assertion?.getAttribute('ID'), '_a1');
  t.regex(profile.getSamlResponseXml?.() ?? '', /ID="_r1"/);
});

test('the default attributes, a persistent NameID, and the signature as real IdPs write it', async (t) => {
  const base64 = response({ nameId: 'a1b2c3', nameIdFormat: NAMEID_FORMAT.persistent });
  const profile = await accept(sp(), base64);
  t.is(profile.nameID, 'a1b2c3');
  t.is(profile.nameIDFormat, NAMEID_FORMAT.persistent);
  t.deepEqual(profile.attributes, { email: 'a1b2c3', firstName: 'Tess', lastName: 'Teacher' });

  const doc = parseXml(decodeSamlResponse(base64));
  const assertion = doc.getElementsByTagNameNS(SAML_NS.assertion, 'Assertion')[0];
  const children = Array.from(assertion?.childNodes ?? []).filter((n) => n.nodeType === 1) as Element[];
  t.deepEqual(
    children.map((e) => e.localName),
    ['Issuer', 'Signature', 'Subject', 'Conditions', 'AuthnStatement', 'AttributeStatement'],
  );
  const signature = children[1] as Element;
  const algorithm = (name: string) => signature.getElementsByTagNameNS(SAML_NS.dsig, name)[0]?.getAttribute('Algorithm');
  t.is(algorithm('CanonicalizationMethod'), 'http://www.w3.org/2001/10/xml-exc-c14n#');
  t.is(algorithm('SignatureMethod'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  t.is(algorithm('DigestMethod'), 'http://www.w3.org/2001/04/xmlenc#sha256');
  t.deepEqual(
    Array.from(signature.getElementsByTagNameNS(SAML_NS.dsig, 'Transform')).map((e) => e.getAttribute('Algorithm')),
    ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  );
  t.is(signature.getElementsByTagNameNS(SAML_NS.dsig, 'Reference')[0]?.getAttribute('URI'), `#${assertion?.getAttribute('ID')}`);
  t.is(signature.getElementsByTagNameNS(SAML_NS.dsig, 'X509Certificate')[0]?.textContent, keyPair('idp').certBody);
  t.is(doc.getElementsByTagNameNS(SAML_NS.protocol, 'StatusCode')[0]?.getAttribute('Value'), 'urn:oasis:names:tc:SAML:2.0:status:Success');
});

test("sign 'response' only: rejected while wantAssertionsSigned is true, accepted when it is false", async (t) => {
  const signedResponse = response({ sign: 'response' });
  await t.throwsAsync(reject(sp(), signedResponse), { message: 'Invalid signature' });
  const profile = await accept(sp({ wantAssertionsSigned: false }), signedResponse);
  t.is(profile.nameID, DEFAULT_NAME_ID);
});

test("sign 'both' validates; wantAuthnResponseSigned: true demands the Response signature", async (t) => {
  t.is((await accept(sp(), response({ sign: 'both' }))).nameID, DEFAULT_NAME_ID);
  const strict = sp({ wantAuthnResponseSigned: true });
  t.is((await accept(strict, response({ sign: 'both' }))).nameID, DEFAULT_NAME_ID);
  await t.throwsAsync(reject(strict, response({ sign: 'assertion' })), { message: 'Invalid document signature' });
  t.is((await accept(sp({ wantAuthnResponseSigned: true, wantAssertionsSigned: false }), response({ sign: 'response' }))).nameID, DEFAULT_NAME_ID);
});

test("sign 'none' is rejected, whatever the want*Signed options", async (t) => {
  await t.throwsAsync(reject(sp(), response({ sign: 'none' })), { message: 'Invalid signature' });
  await t.throwsAsync(reject(sp({ wantAssertionsSigned: false }), response({ sign: 'none' })), { message: 'Invalid signature' });
});

test('a response signed with an unknown (attacker) key is rejected, also when it signs both', async (t) => {
  await t.throwsAsync(reject(sp(), response({ signWith: 'attacker' })), { message: 'Invalid signature' });
  await t.throwsAsync(reject(sp(), response({ signWith: 'attacker', sign: 'both' })), { message: 'Invalid signature' });
  await t.throwsAsync(reject(sp({ wantAssertionsSigned: false }), response({ signWith: 'attacker', sign: 'response' })), { message: 'Invalid signature' });
});

test('node-saml does not look at certificate dates: an expired certificate it is configured with still verifies', async (t) => {
  await t.throwsAsync(reject(sp(), response({ signWith: 'expired' })), { message: 'Invalid signature' });
  const profile = await accept(sp({ idpCert: keyPair('expired').cert }), response({ signWith: 'expired' }));
  t.is(profile.nameID, DEFAULT_NAME_ID);
});

test('an attribute changed after signing is rejected; re-serializing without a change is not', async (t) => {
  const signed = response({ attributes: { role: 'teacher' } });
  await t.throwsAsync(reject(sp(), changeAttributeAfterSigning(signed, 'role', 'district-admin')), { message: 'Invalid signature' });
  // Same value: parse + serialize alone does not break the signature, so the rejection above is the change.
  t.is((await accept(sp(), changeAttributeAfterSigning(signed, 'role', 'teacher'))).role, 'teacher');
  t.throws(() => changeAttributeAfterSigning(signed, 'missing', 'x'), { message: /no attribute missing/ });
});

test('a NameID changed after signing (afterSigning) is rejected', async (t) => {
  const tampered = response({ afterSigning: (xml) => xml.replace(`>${DEFAULT_NAME_ID}<`, '>principal@district.test<') });
  t.regex(decodeSamlResponse(tampered), /principal@district\.test/);
  await t.throwsAsync(reject(sp(), tampered), { message: 'Invalid signature' });
});

for (const variant of ['before', 'inside', 'extensions'] as const) {
  test(`XSW '${variant}': an unsigned evil assertion next to / around the signed one is rejected`, async (t) => {
    const signed = response({ attributes: { role: 'teacher' } });
    const wrapped = wrapWithUnsignedAssertion(signed, { nameId: 'principal@district.test', attributes: { role: 'district-admin' } }, variant);
    const xml = decodeSamlResponse(wrapped);
    const doc = parseXml(xml);

    // The attack is real: the document's one signature still verifies with the IdP's key...
    const signatures = doc.getElementsByTagNameNS(SAML_NS.dsig, 'Signature');
    t.is(signatures.length, 1);
    const verifier = new SignedXml({ publicCert: keyPair('idp').cert });
    verifier.loadSignature(signatures[0] as Element);
    t.true(verifier.checkSignature(xml));
    // ...and a naive reader of Response/Assertion (and, but for 'extensions', of the first NameID in the document) sees the attacker's.
    const firstNameId = doc.getElementsByTagNameNS(SAML_NS.assertion, 'NameID')[0]?.textContent;
    t.is(firstNameId, variant === 'extensions' ? DEFAULT_NAME_ID : 'principal@district.test');
    const direct = Array.from(doc.documentElement?.childNodes ?? []).filter((n) => (n as Element).localName === 'Assertion') as Element[];
    t.is(direct.length, variant === 'before' ? 2 : 1);
    t.is(direct[0]?.getElementsByTagNameNS(SAML_NS.assertion, 'NameID')[0]?.textContent, 'principal@district.test');

    await t.throwsAsync(reject(sp(), wrapped), { message: variant === 'before' ? 'Invalid signature: multiple assertions' : 'Invalid signature' });
    await t.throwsAsync(reject(sp({ wantAssertionsSigned: false }), wrapped), { message: /^Invalid signature/ });
  });
}

test('a wrong audience is rejected', async (t) => {
  await t.throwsAsync(reject(sp(), response({ audience: 'https://other-school.test/sp' })), {
    message: `SAML assertion audience mismatch. Expected: ${SP} Received: https://other-school.test/sp`,
  });
});

test('expired and not-yet-valid assertions are rejected; acceptedClockSkewMs widens the window', async (t) => {
  // Issued 10 minutes ago: Conditions NotOnOrAfter (now + 5 min by default) passed 5 minutes ago.
  await t.throwsAsync(reject(sp(), response({ now: minutesFromNow(-10) })), { message: 'SAML assertion expired: clocks skewed too much' });
  await t.throwsAsync(reject(sp(), response({ notBefore: minutesFromNow(2) })), { message: 'SAML assertion not yet valid' });

  const skewed = sp({ acceptedClockSkewMs: 60_000 });
  t.truthy(await accept(skewed, response({ notOnOrAfter: new Date(Date.now() - 30_000) })));
  t.truthy(await accept(skewed, response({ notBefore: new Date(Date.now() + 30_000) })));
  await t.throwsAsync(reject(skewed, response({ notOnOrAfter: minutesFromNow(-2) })), { message: 'SAML assertion expired: clocks skewed too much' });
  await t.throwsAsync(reject(skewed, response({ notBefore: minutesFromNow(2) })), { message: 'SAML assertion not yet valid' });
});

test('key rotation: idp-next verifies when idpCert lists both certificates', async (t) => {
  await t.throwsAsync(reject(sp(), response({ signWith: 'idp-next' })), { message: 'Invalid signature' });
  const rotating = sp({ idpCert: [keyPair('idp').cert, keyPair('idp-next').cert] });
  t.is((await accept(rotating, response({ signWith: 'idp-next' }))).nameID, DEFAULT_NAME_ID);
  t.is((await accept(rotating, response({ signWith: 'idp' }))).nameID, DEFAULT_NAME_ID);
  // Certificates as base64 DER without PEM armour are accepted too.
  t.truthy(await accept(sp({ idpCert: [keyPair('idp-next').certBody] }), response({ signWith: 'idp-next' })));
});

test('node-saml does NOT check Destination, Recipient or the Issuer (not even with idpIssuer): the SP must', async (t) => {
  const elsewhere = response({ destination: 'https://evil.test/acs', recipient: 'https://evil.test/acs', issuer: 'https://other-idp.test' });
  const profile = await accept(sp({ idpIssuer: IDP }), elsewhere);
  t.is(profile.issuer, 'https://other-idp.test');
  const xml = decodeSamlResponse(elsewhere);
  t.regex(xml, /Destination="https:\/\/evil\.test\/acs"/);
  t.regex(xml, /Recipient="https:\/\/evil\.test\/acs"/);
});

test('an IdP error status is reported as SamlStatusError', async (t) => {
  const failed = response({
    status: { code: 'urn:oasis:names:tc:SAML:2.0:status:Responder', subCode: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed', message: 'Account disabled' },
  });
  t.false(decodeSamlResponse(failed).includes('Assertion'));
  const error = await t.throwsAsync(reject(sp(), failed), { instanceOf: SamlStatusError });
  t.is(error?.message, 'SAML provider returned Responder error: Account disabled');
});

test('readAuthnRequest decodes what getAuthorizeUrlAsync sends (HTTP-Redirect)', async (t) => {
  const url = await sp().getAuthorizeUrlAsync('/courses?tab=1&x=a b', undefined, {});
  t.true(url.startsWith(`${SSO}?`));
  const request = readAuthnRequest(url);
  t.regex(request.id, /^_[0-9a-f]+$/);
  t.is(request.issuer, SP);
  t.is(request.acsUrl, ACS);
  t.is(request.destination, SSO);
  t.is(request.relayState, '/courses?tab=1&x=a b');
  t.regex(request.xml, /^<\?xml[^>]*\?><samlp:AuthnRequest /);
  t.is(readAuthnRequest(await sp({ disableRequestAcsUrl: true }).getAuthorizeUrlAsync('', undefined, {})).acsUrl, undefined);
  t.is(readAuthnRequest(await sp().getAuthorizeUrlAsync('', undefined, {})).relayState, undefined);
  t.throws(() => readAuthnRequest(`${SSO}?RelayState=x`), { message: /no SAMLRequest/ });
});

test('InResponseTo (validateInResponseTo: always): the request ID round-trips once; unknown, missing and mismatched IDs are rejected', async (t) => {
  const saml = sp({ validateInResponseTo: ValidateInResponseTo.always });
  const { id } = readAuthnRequest(await saml.getAuthorizeUrlAsync('', undefined, {}));
  const answer = response({ inResponseTo: id });
  t.is((await accept(saml, answer)).inResponseTo, id);
  await t.throwsAsync(reject(saml, answer), { message: 'InResponseTo is not valid' }); // replay: the ID was consumed
  await t.throwsAsync(reject(saml, response({ inResponseTo: '_never-requested' })), { message: 'InResponseTo is not valid' });
  await t.throwsAsync(reject(saml, response()), { message: 'InResponseTo is missing from response' });

  // The Response's InResponseTo is outside the assertion signature; node-saml compares it with the signed SubjectConfirmationData.
  const first = readAuthnRequest(await saml.getAuthorizeUrlAsync('', undefined, {})).id;
  const second = readAuthnRequest(await saml.getAuthorizeUrlAsync('', undefined, {})).id;
  const swapped = response({ inResponseTo: first, afterSigning: (xml) => xml.replace(`InResponseTo="${first}">`, `InResponseTo="${second}">`) });
  await t.throwsAsync(reject(saml, swapped), { message: 'InResponseTo does not match subjectInResponseTo' });

  // SubjectConfirmationData NotOnOrAfter is only checked on this path.
  const third = readAuthnRequest(await saml.getAuthorizeUrlAsync('', undefined, {})).id;
  await t.throwsAsync(reject(saml, response({ inResponseTo: third, subjectNotOnOrAfter: minutesFromNow(-1) })), {
    message: 'No valid subject confirmation found among those available in the SAML assertion',
  });
});

test("validateInResponseTo: never / ifPresent accept IdP-initiated responses; 'never' ignores SubjectConfirmationData times", async (t) => {
  t.truthy(await accept(sp({ validateInResponseTo: ValidateInResponseTo.ifPresent }), response()));
  t.truthy(await accept(sp(), response({ subjectNotOnOrAfter: minutesFromNow(-60) })));
  t.truthy(await accept(sp(), response({ inResponseTo: '_never-requested' })));
});

test('metadata is well-formed and shaped like real IdP metadata', (t) => {
  const [idp, next] = [keyPair('idp'), keyPair('idp-next')];
  const xml = idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [idp.cert, next.cert], validUntil: '2030-01-01T00:00:00Z' });
  const doc = parseXml(xml);
  const root = doc.documentElement as Element;
  t.is(root.namespaceURI, SAML_NS.metadata);
  t.is(root.localName, 'EntityDescriptor');
  t.is(root.getAttribute('entityID'), IDP);
  t.is(root.getAttribute('validUntil'), '2030-01-01T00:00:00Z');
  const md = (name: string) => Array.from(doc.getElementsByTagNameNS(SAML_NS.metadata, name));
  t.is(md('IDPSSODescriptor')[0]?.getAttribute('protocolSupportEnumeration'), SAML_NS.protocol);
  t.is(md('Extensions').length, 2);

  const keys = md('KeyDescriptor');
  t.is(keys.length, 3);
  t.deepEqual(
    keys.map((k) => k.getAttribute('use') || null),
    ['signing', null, 'encryption'],
  );
  const certOf = (k: Element) => (k.getElementsByTagNameNS(SAML_NS.dsig, 'X509Certificate')[0]?.textContent ?? '').replace(/\s+/g, '');
  t.deepEqual(keys.map(certOf), [idp.certBody, next.certBody, keyPair('attacker').certBody]);
  t.regex(keys[1]?.getElementsByTagNameNS(SAML_NS.dsig, 'X509Certificate')[0]?.textContent ?? '', /\n/); // Shibboleth-style wrapped base64

  t.deepEqual(
    md('NameIDFormat').map((e) => e.textContent),
    [NAMEID_FORMAT.email, NAMEID_FORMAT.persistent],
  );
  t.deepEqual(
    md('SingleSignOnService').map((e) => [e.getAttribute('Binding'), e.getAttribute('Location')]),
    [
      [SAML_BINDING.redirect, SSO],
      [SAML_BINDING.post, SSO],
    ],
  );
  t.is(md('SingleLogoutService').length, 1);
  t.is(md('Organization').length, 1);
  t.is(md('ContactPerson').length, 1);

  const one = parseXml(idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [idp.cert], extensions: false }));
  t.deepEqual(
    Array.from(one.getElementsByTagNameNS(SAML_NS.metadata, 'KeyDescriptor')).map((k) => k.getAttribute('use')),
    ['signing', 'encryption'],
  );
  t.is(one.getElementsByTagNameNS(SAML_NS.metadata, 'Extensions').length, 0);
});

test('metadata without a signing certificate or SSO endpoint, for negative tests', (t) => {
  const options = { entityId: IDP, ssoUrl: SSO, certs: [keyPair('idp').cert] };
  const noCert = parseXml(idpMetadataWithout('signing-cert', options));
  t.deepEqual(
    Array.from(noCert.getElementsByTagNameNS(SAML_NS.metadata, 'KeyDescriptor')).map((k) => k.getAttribute('use')),
    ['encryption'],
  );
  const noSso = parseXml(idpMetadataWithout('sso-endpoint', options));
  t.is(noSso.getElementsByTagNameNS(SAML_NS.metadata, 'SingleSignOnService').length, 0);
  t.is(noSso.getElementsByTagNameNS(SAML_NS.metadata, 'KeyDescriptor').length, 2);
  t.is(parseXml(idpMetadata({ ...options, omit: ['sso-endpoint'] })).getElementsByTagNameNS(SAML_NS.metadata, 'SingleSignOnService').length, 0);
});

test('signed metadata carries a verifiable enveloped signature as its first child', (t) => {
  const xml = idpMetadata({ entityId: IDP, ssoUrl: SSO, certs: [keyPair('idp').cert], signWith: 'idp' });
  const root = parseXml(xml).documentElement as Element;
  const first = Array.from(root.childNodes).find((n) => n.nodeType === 1) as Element;
  t.is(first.localName, 'Signature');
  const verifier = new SignedXml({ publicCert: keyPair('idp').cert });
  verifier.loadSignature(first);
  t.true(verifier.checkSignature(xml));
  const wrongKey = new SignedXml({ publicCert: keyPair('attacker').cert });
  wrongKey.loadSignature(first);
  t.throws(() => wrongKey.checkSignature(xml), { message: /invalid signature/ });
});

test('encodeSamlResponse / decodeSamlResponse round-trip', (t) => {
  const xml = decodeSamlResponse(response());
  t.is(decodeSamlResponse(encodeSamlResponse(xml)), xml);
});
