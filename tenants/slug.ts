// What a school's subdomain may be. The same rule runs in the CLI, the API and (as a CHECK
// constraint on tenants.slug) in the database.
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'www',
  'api',
  'app',
  'admin',
  'administrator',
  'mail',
  'email',
  'smtp',
  'imap',
  'pop',
  'ftp',
  'status',
  'docs',
  'help',
  'support',
  'blog',
  'billing',
  'pay',
  'payments',
  'webhooks',
  'auth',
  'login',
  'signup',
  'sso',
  'saml',
  'oauth',
  'static',
  'assets',
  'cdn',
  'media',
  'files',
  'dev',
  'staging',
  'test',
  'demo-admin',
  'edify',
  'root',
  'system',
  'platform',
  'dashboard',
  'security',
  'ns1',
  'ns2',
  'localhost',
]);

const FORMAT = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Returns why a slug cannot be used, or undefined when it can. */
export function slugProblem(slug: string): string | undefined {
  if (!FORMAT.test(slug)) {
    return 'must be 3–63 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit';
  }
  if (slug.includes('--')) return 'must not contain two hyphens in a row';
  if (RESERVED_SLUGS.has(slug)) return `"${slug}" is reserved`;
  return undefined;
}

/** What a subdomain looks like to a hurried reader: hyphens dropped, 0→o, 1/i→l, 3→e, 5→s,
 * rn→m, vv→w. Two schools may not share one (a unique index enforces it); the SQL twin is in
 * migrations/20261122000900_signup.ts. */
export function slugSkeleton(slug: string): string {
  const mapped = slug
    .toLowerCase()
    .replaceAll('-', '')
    .replace(/[01i35]/g, (c) => ({ '0': 'o', '1': 'l', i: 'l', '3': 'e', '5': 's' })[c] ?? c);
  return mapped.replaceAll('rn', 'm').replaceAll('vv', 'w');
}
