import { z } from 'zod';

const role = z.enum(['admin', 'teacher', 'student']);
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain such as district.org');

export const connectionSettings = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  attribute_map: z
    .strictObject({
      email: z.string().min(1).max(300).optional(),
      first_name: z.string().min(1).max(300).optional(),
      last_name: z.string().min(1).max(300).optional(),
      external_id: z.string().min(1).max(300).optional(),
    })
    .optional()
    .describe('Which assertion attribute holds each value. Email defaults to the NameID when it is an email address.'),
  role_attribute: z.string().min(1).max(300).nullable().optional().describe('e.g. eduPersonAffiliation or a groups claim'),
  role_map: z.record(z.string().min(1).max(200), role).optional().describe('Attribute value → role, e.g. {"faculty": "teacher", "student": "student"}'),
  default_role: z.enum(['deny', 'admin', 'teacher', 'student']).optional().describe('For people whose attribute matches no mapping: a role, or deny.'),
  allowed_domains: z.array(domain).max(50).optional().describe('Email domains this IdP may sign in. Empty: any.'),
  enabled: z.boolean().optional(),
  allow_idp_initiated: z.boolean().optional().describe('Accept logins started at the IdP (no AuthnRequest). Off by default.'),
  idp_is_source: z.boolean().optional().describe('true: names and role follow the IdP at every login. false: Edify keeps its own.'),
});
export type ConnectionSettings = z.infer<typeof connectionSettings>;

export const createConnectionInput = connectionSettings.extend({
  metadata_xml: z.string().min(1).max(500_000).describe('The IdP’s SAML metadata XML.'),
});

export const connectionView = z.object({
  id: z.uuid(),
  name: z.string(),
  idp_entity_id: z.string(),
  sso_url: z.string(),
  certificates: z.array(z.object({ subject: z.string(), expires_at: z.string(), fingerprint_sha256: z.string() })),
  sp_entity_id: z.string(),
  acs_url: z.string(),
  metadata_url: z.string(),
  login_url: z.string(),
  attribute_map: z.record(z.string(), z.string()),
  role_attribute: z.string().nullable(),
  role_map: z.record(z.string(), role),
  default_role: z.string(),
  allowed_domains: z.array(z.string()),
  enabled: z.boolean(),
  allow_idp_initiated: z.boolean(),
  idp_is_source: z.boolean(),
});

export const attemptView = z.object({
  at: z.string(),
  outcome: z.enum(['success', 'failure']),
  reason_code: z.string().nullable().describe('A stable code from docs/sso.md, e.g. invalid_signature, expired.'),
  reason: z.string().nullable().describe('The documented reason, then an escaped and bounded detail.'),
  subject: z.string().nullable(),
  email: z.string().nullable(),
  user_id: z.string().nullable(),
});
