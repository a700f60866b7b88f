// The client's address, resolved once per request and left on ctx.ip, which everything else reads
// (rate-limit keys, auth_sessions.ip, the audit log, scope.request.ip). Behind proxies only the
// right-most X-Forwarded-For entries, the ones our own proxies appended, are believed: with
// TRUST_PROXY_HOPS=N the Nth entry from the right, with TRUSTED_PROXIES the right-most address
// not inside those ranges. The client writes everything to the left, so it is ignored.
import type { Middleware } from 'koa';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config.ts';
import type { AppState } from './state.ts';

export function clientAddress(config: Pick<Config, 'trustProxy' | 'proxyHops' | 'trustedProxies'>): Middleware<AppState> {
  const trust = trustFunction(config);
  return async (ctx, next) => {
    // Without trusted proxies Koa's ctx.ip is already the socket's peer.
    if (trust) ctx.request.ip = proxyaddr(ctx.req, trust);
    await next();
  };
}

function trustFunction(config: Pick<Config, 'trustProxy' | 'proxyHops' | 'trustedProxies'>): ((address: string, hop: number) => boolean) | undefined {
  if (!config.trustProxy) return undefined;
  // proxy-addr walks from the socket (hop 0) leftwards through X-Forwarded-For while the address is trusted.
  if (config.trustedProxies?.length) return proxyaddr.compile(config.trustedProxies);
  const hops = config.proxyHops ?? 1;
  return (_address, hop) => hop < hops;
}
