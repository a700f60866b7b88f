// A cheap streaming look at a posted SAMLResponse before node-saml builds two DOMs and an xml2js
// tree of it: base64 of UTF-8 XML, no DOCTYPE, bounded nesting and element count. A real response
// is about ten levels deep with at most a few thousand elements; 100,000 nested elements in
// samlp:Extensions (705 KB, under the body limit) used to hold the event loop for seconds. saxes
// stops at the first element past a limit, so a refusal costs at most one pass over the input.
import { SaxesParser } from 'saxes';
import { type ConfirmationTimes, ssoFailure } from './reasons.ts';

export const SAML_LIMITS = { maxDepth: 32, maxElements: 10_000 } as const;

export type InspectedResponse = { xml: string; times: ConfirmationTimes };

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** The decoded XML, or an SsoFailure: `malformed` (not base64 UTF-8 XML, a DOCTYPE) or `too_complex`. */
export function inspectSamlResponse(base64: string, limits: { maxDepth: number; maxElements: number } = SAML_LIMITS): InspectedResponse {
  if (!BASE64.test(base64)) throw ssoFailure('malformed', 'it is not base64');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    throw ssoFailure('malformed', 'it is not UTF-8 text (a deflated or binary value?)');
  }
  const times: ConfirmationTimes = { notBefore: [], notOnOrAfter: [] };
  const parser = new SaxesParser({ xmlns: false, position: true });
  let depth = 0;
  let elements = 0;
  let refusal: Error | undefined;
  const stop = (error: Error) => {
    refusal = error;
    throw error;
  };
  parser.on('doctype', () => stop(ssoFailure('malformed', 'a DOCTYPE is not allowed')));
  parser.on('opentag', (tag) => {
    depth += 1;
    elements += 1;
    if (depth > limits.maxDepth) stop(ssoFailure('too_complex', `more than ${limits.maxDepth} levels of nesting`));
    if (elements > limits.maxElements) stop(ssoFailure('too_complex', `more than ${limits.maxElements} elements`));
    if (tag.name === 'SubjectConfirmationData' || tag.name.endsWith(':SubjectConfirmationData')) {
      const { NotBefore, NotOnOrAfter } = tag.attributes as Record<string, string | undefined>;
      if (NotBefore) times.notBefore.push(NotBefore);
      if (NotOnOrAfter) times.notOnOrAfter.push(NotOnOrAfter);
    }
    if (tag.isSelfClosing) depth -= 1;
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth -= 1;
  });
  try {
    parser.write(xml).close();
  } catch {
    if (refusal) throw refusal;
    // saxes' messages can quote names from the input: keep only the position.
    throw ssoFailure('malformed', `not well-formed XML (line ${parser.line}, column ${parser.column})`);
  }
  if (elements === 0) throw ssoFailure('malformed', 'it holds no XML element');
  return { xml, times };
}
