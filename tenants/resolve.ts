// Host header → which school (or the platform apex). The only place that parses hosts.
export type HostTarget = { kind: 'platform' } | { kind: 'tenant'; slug: string } | { kind: 'foreign' };

export type ResolveOptions = { baseDomain: string; trustProxy: boolean };

export function hostOf(headers: Record<string, string | string[] | undefined>, trustProxy: boolean): string {
  const forwarded = trustProxy ? first(headers['x-forwarded-host']) : undefined;
  // X-Forwarded-Host may list several proxies; the first is the client's.
  const raw = forwarded?.split(',')[0]?.trim() || first(headers.host) || '';
  return raw;
}

/** Case-insensitive; a port and a trailing dot are tolerated. Only one label below the base
 * domain is a school: `a.b.localhost` is nobody's. */
export function resolveHost(rawHost: string, options: ResolveOptions): HostTarget {
  const host = stripPort(rawHost.trim().toLowerCase()).replace(/\.$/, '');
  const base = options.baseDomain;
  if (host === base || host === `www.${base}`) return { kind: 'platform' };
  // Direct access by IP (health checks from a load balancer, curl 127.0.0.1) is the platform.
  if (host === '127.0.0.1' || host === '[::1]' || host === '') return { kind: 'platform' };
  if (!host.endsWith(`.${base}`)) return { kind: 'foreign' };
  const label = host.slice(0, -(base.length + 1));
  if (!SLUG_SHAPE.test(label)) return { kind: 'foreign' };
  return { kind: 'tenant', slug: label };
}

const SLUG_SHAPE = /^[a-z0-9-]{1,63}$/;

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
