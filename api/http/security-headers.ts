// Security headers on every response (helmet's defaults, tightened for an API that also serves a
// few server-rendered pages). HSTS only in production, where every host is HTTPS.

import type { Middleware } from 'koa';
import helmet from 'koa-helmet';
import type { AppState } from './state.ts';

/** The policy every response carries: nothing from anywhere but this site. */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'default-src': ["'self'"],
  // No inline styles or scripts: pages load /assets/* and the school's /theme.css.
  'style-src': ["'self'"],
  'script-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'object-src': ["'none'"],
});

/** The privacy-enhanced video players a lesson page may frame (api/courses/video.ts makes only
 * these addresses); every other page keeps `default-src 'self'`, so frames stay refused there. */
export const VIDEO_FRAME_HOSTS = ['https://www.youtube-nocookie.com', 'https://player.vimeo.com'] as const;

/** The same policy as a header value, with extra directives (a page that needs one more source). */
export function contentSecurityPolicy(extra: Record<string, readonly string[]> = {}): string {
  return Object.entries({ ...CSP_DIRECTIVES, ...extra })
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join(';');
}

export function securityHeaders(production: boolean): Middleware<AppState> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
    },
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  }) as unknown as Middleware<AppState>;
}
