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
