// Why a SAML sign-in was refused: a stable reason code, the reason docs/sso.md documents for it,
// and at most a short detail. The detail is made by Edify from values it picked out, escaped and
// bounded (api/content/safe-text.ts): text from the library's errors or from the response itself
// (an unsigned StatusMessage, a parser's view of binary input) is never stored or shown as it came.
import { boundedLine } from '../content/safe-text.ts';

/** Code → the reason shown to school IT (docs/sso.md, "When sign-in fails"; a test keeps them in step). */
export const SSO_REASONS = {
  no_response: 'no SAMLResponse was posted',
  malformed: 'the SAMLResponse is not a well-formed SAML message',
  too_complex: 'the SAMLResponse is nested too deeply or has too many elements',
  connection_disabled: 'this connection is turned off',
  certificates_expired: 'every IdP signing certificate of this connection has expired: import fresh metadata',
  idp_error: 'the IdP answered with an error status',
  invalid_signature: 'Invalid signature',
  audience_mismatch: 'SAML assertion audience mismatch',
  destination_mismatch: "the response's Destination is not this school's ACS URL",
  recipient_mismatch: "the assertion's Recipient is not this school's ACS URL",
  destination_missing: 'neither a Destination nor a Recipient names this ACS URL',
  issuer_mismatch: 'the assertion was issued by another IdP',
  in_response_to_invalid: 'InResponseTo is not valid',
  in_response_to_missing: 'InResponseTo is missing from response',
  expired: 'SAML assertion expired',
  not_yet_valid: 'SAML assertion not yet valid',
  replay: 'the assertion was already used (replay)',
  no_assertion: 'the response carries no assertion',
  no_subject: 'the assertion has no NameID (and no external id attribute)',
  no_email: 'the assertion carries no email address (map the email attribute)',
  domain_not_allowed: 'the email domain is not allowed for this connection',
  deactivated: 'the person is deactivated in Edify',
  no_role: 'no role is mapped and unmapped people are denied',
  no_seats: 'no free seats on the school’s plan',
  unrecognised: 'the response could not be validated',
} as const;

export type SsoReasonCode = keyof typeof SSO_REASONS;

/** The longest detail kept after the documented reason. */
export const DETAIL_MAX = 200;

export type SsoFailure = Error & { ssoCode: SsoReasonCode; ssoReason: string };

/** The documented reason, then the detail (escaped, bounded) after a colon. */
export function reasonText(code: SsoReasonCode, detail?: string): string {
  const headline = SSO_REASONS[code];
  return detail ? `${headline}: ${boundedLine(detail, DETAIL_MAX)}` : headline;
}

export function ssoFailure(code: SsoReasonCode, detail?: string): SsoFailure {
  const reason = reasonText(code, detail);
  return Object.assign(new Error(reason), { ssoCode: code, ssoReason: reason });
}

export function isSsoFailure(error: unknown): error is SsoFailure {
  return error instanceof Error && typeof (error as Partial<SsoFailure>).ssoCode === 'string';
}

/** What the pre-pass saw of the subject confirmations, to word node-saml's "no valid subject confirmation". */
export type ConfirmationTimes = { notBefore: string[]; notOnOrAfter: string[] };

type Rule = { match: RegExp; code: SsoReasonCode; detail?: (m: RegExpMatchArray) => string | undefined };

// node-saml 5.1 / xml-crypto 6 messages → documented reasons. Details are Edify's words, never the
// library's (several of its messages embed XML from the response).
const RULES: Rule[] = [
  { match: /^Invalid signature: multiple assertions$/, code: 'invalid_signature', detail: () => 'the response carries more than one assertion' },
  { match: /^Invalid signature, too many transforms$/, code: 'invalid_signature', detail: () => 'the signature is malformed or duplicated' },
  { match: /^Invalid signature: ID cannot refer to more than one element$/, code: 'invalid_signature', detail: () => 'the signed ID appears more than once' },
  { match: /^Invalid signature: Referenced node does not refer to/, code: 'invalid_signature', detail: () => 'the signature does not sign its own element' },
  { match: /^Too many signatures found for this element$/, code: 'invalid_signature', detail: () => 'an element carries more than one signature' },
  {
    match: /multiple SignedInfo|could not find SignedInfo|no signed info node/i,
    code: 'invalid_signature',
    detail: () => 'the signature is malformed or duplicated',
  },
  {
    match:
      /^(Invalid (document )?signature|invalid signature|Invalid signature from encrypted assertion|No references passed validation|Cannot validate a document which contains multiple|Only 1 signed references|Cannot obtain assertion from signed data|could not find any Reference|ref URI included quote)/,
    code: 'invalid_signature',
  },
  { match: /^SAML assertion expired/, code: 'expired' },
  { match: /^SAML assertion not yet valid/, code: 'not_yet_valid' },
  {
    match: /^SAML assertion audience mismatch\. Expected: (.*) Received: (.*)$/s,
    code: 'audience_mismatch',
    detail: (m) => `it names ${m[2]}, not ${m[1]}`,
  },
  {
    match: /^SAML assertion (has no AudienceRestriction|AudienceRestriction has no Audience value)/,
    code: 'audience_mismatch',
    detail: () => 'the assertion names no audience',
  },
  { match: /^(InResponseTo is not valid|SubjectInResponseTo is not valid)$/, code: 'in_response_to_invalid' },
  {
    match: /^InResponseTo does not match subjectInResponseTo$/,
    code: 'in_response_to_invalid',
    detail: () => 'the response and its assertion answer different requests',
  },
  { match: /^InResponseTo is missing from response$/, code: 'in_response_to_missing' },
  { match: /^Missing SAML assertion$/, code: 'no_assertion' },
  {
    match: /^(Not a valid XML document|Unable to process multiple conditions|Unknown SAML response message|Invalid EncryptedAssertion content)/,
    code: 'malformed',
  },
];

/**
 * node-saml's error (or any other) as a documented reason. `times` lets "No valid subject
 * confirmation found" (node-saml checks SubjectConfirmationData times there) say what IT needs to
 * hear: the assertion expired, or is not valid yet.
 */
export function reasonFromError(error: unknown, context: { times?: ConfirmationTimes; nowMs: number; skewMs: number }): SsoFailure {
  if (isSsoFailure(error)) return error;
  const code = (error as { code?: unknown })?.code;
  if (code === 'seat-limit-reached') return ssoFailure('no_seats');
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { name?: string })?.name === 'SamlStatusError' || /^SAML provider returned /.test(message)) return idpStatusFailure(error);
  if (/^No valid subject confirmation found/.test(message)) return confirmationFailure(context);
  for (const rule of RULES) {
    const m = message.match(rule.match);
    if (m) return ssoFailure(rule.code, rule.detail?.(m));
  }
  return ssoFailure('unrecognised');
}

/** An IdP's error status: its status (one word) and, marked as unsigned, its message (escaped, bounded). */
function idpStatusFailure(error: unknown): SsoFailure {
  const message = error instanceof Error ? error.message : String(error);
  const m = message.match(/^SAML provider returned (.*?) error: (.*)$/s);
  const status = (m?.[1] ?? '').replace(/[^A-Za-z]/g, '').slice(0, 40) || 'unknown';
  return ssoFailure('idp_error', m?.[2] ? `${status}, unsigned message "${m[2]}"` : status);
}

function confirmationFailure(context: { times?: ConfirmationTimes; nowMs: number; skewMs: number }): SsoFailure {
  const at = (values: string[] | undefined) => (values ?? []).map((v) => Date.parse(v)).filter((n) => !Number.isNaN(n));
  if (at(context.times?.notOnOrAfter).some((t) => t <= context.nowMs - context.skewMs)) return ssoFailure('expired', 'its subject confirmation has passed');
  if (at(context.times?.notBefore).some((t) => t > context.nowMs + context.skewMs))
    return ssoFailure('not_yet_valid', 'its subject confirmation is not valid yet');
  return ssoFailure('unrecognised', 'no subject confirmation of the assertion is valid now');
}
