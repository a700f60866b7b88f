// Security headers on every response (helmet's defaults, tightened for an API that also serves a
// few server-rendered pages). HSTS only in production, where every host is HTTPS.

import type { Middleware } from 'koa';
import helmet from 'koa-helmet';
import type { AppState } from './state.ts';

export function securityHeaders(production: boolean): Middleware<AppState> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        // No inline styles or scripts: pages load /assets/* and the school's /theme.css.
        'style-src': ["'self'"],
        'script-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'base-uri': ["'none'"],
        'object-src': ["'none'"],
      },
    },
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  }) as unknown as Middleware<AppState>;
}
