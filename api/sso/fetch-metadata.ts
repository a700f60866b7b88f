// Fetches an IdP's metadata from the URL a school admin typed (the sign-on page). The server makes
// the request, so the URL must not reach anything the admin could not reach themselves: https
// only, no redirects, and every address the name resolves to must be public (checked inside the
// connection's own DNS lookup, so a name that changes its answer between a check and the connect
// cannot slip through). Bounded in time and size; problems are worded for the admin.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { invalid } from '../errors.ts';

export const METADATA_LIMITS = { bytes: 500_000, timeoutMs: 10_000 } as const;

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv6');

/** True for loopback, private, link-local, shared, multicast and reserved addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  // IPv4-mapped IPv6, dotted or hex (::ffff:7f00:1): judged as the IPv4 address it carries. (A
  // BlockList ::ffff:0:0/96 rule would also match every plain IPv4 address.)
  const lower = address.toLowerCase();
  const dotted = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (dotted) return privateRanges.check(dotted, 'ipv4');
  const hex = lower.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (hex?.[1] && hex[2]) {
    const [high, low] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
    return privateRanges.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const problem = (message: string) => invalid([{ in: 'body', field: 'metadata_url', message }], `The metadata URL cannot be used: ${message}.`);

const publicOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused || list.length === 0) return callback(Object.assign(new Error('private address'), { code: 'EDIFY_PRIVATE' }), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export async function fetchIdpMetadata(url: string): Promise<string> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw problem('it is not a URL');
  }
  if (target.protocol !== 'https:') throw problem('it must start with https://');
  if (target.username || target.password) throw problem('it must not carry a user name or password');
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host)) throw problem('it points at a private or local address');
  return new Promise<string>((resolve, reject) => {
    const request = https.get(
      target,
      { lookup: publicOnly, timeout: METADATA_LIMITS.timeoutMs, headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          response.resume();
          return reject(problem(`the server answered with a redirect (HTTP ${status}); give the final metadata address`));
        }
        if (status !== 200) {
          response.resume();
          return reject(problem(`the server answered HTTP ${status}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > METADATA_LIMITS.bytes) {
            request.destroy();
            reject(problem(`the metadata is larger than ${METADATA_LIMITS.bytes / 1000} KB`));
          } else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', () => reject(problem('the download was cut off')));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EDIFY_PRIVATE') reject(problem('it points at a private or local address'));
      else if (error.code === 'ENOTFOUND') reject(problem(`no server is called ${host}`));
      else if (error.code === 'ETIMEDOUT') reject(problem(`the server did not answer within ${METADATA_LIMITS.timeoutMs / 1000} seconds`));
      else reject(problem(`it could not be fetched (${error.code ?? 'connection failed'})`));
    });
  });
}
