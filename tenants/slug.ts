// What a school's subdomain may be. The same rule runs in the CLI, the API and (as a CHECK
// constraint on tenants.slug) in the database.
import unhomoglyph from 'unhomoglyph';

/** Names a school cannot take: ours (api, admin, status...), and the ones mail, DNS and device
 * setup look up on a domain (mta-sts, autodiscover, autoconfig, webmail, ns1...), where a school's
 * page answering would confuse clients or certificate checks. Look-alikes of these are refused too. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  // the product and its own services
  'www',
  'api',
  'app',
  'apps',
  'admin',
  'administrator',
  'root',
  'system',
  'platform',
  'console',
  'dashboard',
  'edify',
  'status',
  'docs',
  'help',
  'support',
  'blog',
  'news',
  'billing',
  'pay',
  'payments',
  'invoice',
  'invoices',
  'webhooks',
  'auth',
  'login',
  'logout',
  'signin',
  'signup',
  'register',
  'account',
  'accounts',
  'sso',
  'saml',
  'oauth',
  'oidc',
  'identity',
  'static',
  'assets',
  'cdn',
  'media',
  'files',
  'uploads',
  'images',
  'download',
  'downloads',
  'dev',
  'staging',
  'stage',
  'test',
  'testing',
  'demo-admin',
  'sandbox',
  'preview',
  'internal',
  'intranet',
  'security',
  'abuse',
  'postmaster',
  'hostmaster',
  'webmaster',
  'noreply',
  'no-reply',
  'localhost',
  // mail, DNS and client autoconfiguration
  'mail',
  'email',
  'webmail',
  'smtp',
  'imap',
  'pop',
  'pop3',
  'mta-sts',
  'autodiscover',
  'autoconfig',
  'lyncdiscover',
  'enterpriseregistration',
  'enterpriseenrollment',
  'ftp',
  'sftp',
  'dns',
  'ldap',
  'vpn',
  'remote',
  'owa',
  'exchange',
  'calendar',
  'cpanel',
  'whm',
  'webdisk',
  'ns1',
  'ns2',
  'ns3',
  'ns4',
  'ns5',
  'ns6',
  'ns7',
  'ns8',
  'ns9',
  'mx1',
  'mx2',
  'mx3',
]);

/** Numbered infrastructure hosts (ns10, mail2, smtp01, www3...). */
const RESERVED_PATTERN = /^(www|ns|mx|mail|smtp|imap|pop|ftp|dns|webmail|vpn)-?\d+$/;

const FORMAT = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Returns why a slug cannot be used, or undefined when it can. */
export function slugProblem(slug: string): string | undefined {
  if (!FORMAT.test(slug)) {
    return 'must be 3–63 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit';
  }
  if (slug.includes('--')) return 'must not contain two hyphens in a row';
  if (RESERVED_SLUGS.has(slug) || RESERVED_PATTERN.test(slug)) return `"${slug}" is reserved`;
  const reserved = RESERVED_BY_SKELETON.get(slugSkeleton(slug));
  if (reserved) return `"${slug}" looks too much like the reserved name "${reserved}"`;
  return undefined;
}

/** Look-alikes the Unicode data does not list, for the characters a subdomain may hold: shapes
 * that read alike at a glance in common fonts. Applied in order: digits and single letters first,
 * then letter pairs (so "c1" and "ci" read as "cl", then "d"), then the letters pairs may produce.
 * A documented extension of the TR39 skeleton (docs/security.md). */
export const ASCII_LOOKALIKES: readonly (readonly [string, string])[] = [
  ['0', 'o'],
  ['1', 'l'],
  ['i', 'l'],
  ['2', 'z'],
  ['3', 'e'],
  ['4', 'a'],
  ['5', 's'],
  ['6', 'b'],
  ['7', 't'],
  ['8', 'b'],
  ['9', 'g'],
  ['q', 'g'],
  ['u', 'v'],
  ['rn', 'm'],
  ['vv', 'w'],
  ['cl', 'd'],
  ['c', 'e'],
  ['d', 'a'],
];

/**
 * What a subdomain looks like to a hurried reader. Two schools may not share one (a unique index
 * on tenants.slug_skeleton enforces it), nor may a school take one of a reserved name. Steps:
 * hyphens dropped; Unicode TR39 confusables (the `unhomoglyph` package's copy of confusables.txt)
 * mapped to their prototypes, case folded (DNS ignores case, TR39 does not); then ASCII_LOOKALIKES.
 * migrations/20261126000301_slug-skeleton-tr39.ts recomputes stored skeletons when this changes.
 */
export function slugSkeleton(slug: string): string {
  let out = unhomoglyph(slug.toLowerCase().replaceAll('-', '')).toLowerCase();
  for (const [from, to] of ASCII_LOOKALIKES) out = out.replaceAll(from, to);
  return out;
}

const RESERVED_BY_SKELETON: ReadonlyMap<string, string> = new Map([...RESERVED_SLUGS].map((name) => [slugSkeleton(name), name]));
