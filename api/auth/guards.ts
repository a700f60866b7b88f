// Sign-in's guards (api/access/guards.ts), for requests: a browser session proves each unsafe
// request came from our own pages (CSRF), and a person who must enrol in two-factor sign-in
// reaches nothing else first.
import type { Guard } from '../access/guards.ts';
import { AppError } from '../errors.ts';
import { csrfTokenValid } from './sessions.ts';

// Cookies ride along with cross-site requests from sibling subdomains (same site), so a browser
// session must prove each unsafe request came from our own pages: the X-CSRF-Token header.
// Pages' forms carry it as the hidden field `_csrf` instead.
export const csrfGuard: Guard = {
  name: 'csrf',
  entries: ['request'],
  check: ({ scope, request }) => {
    if (!request || request.ctx.method === 'GET' || request.ctx.method === 'HEAD') return;
    if (scope.actor.type !== 'user' || scope.actor.user.via !== 'cookie') return;
    const { ctx } = request;
    const field = (ctx.request as { body?: { _csrf?: unknown } }).body?._csrf;
    // A page's multipart form (a file sent without JavaScript) is read only after this check, so
    // its token rides in the form's address instead (`?_csrf=`); nowhere else is it taken from there.
    const inAddress = request.tokenInAddress && typeof ctx.query._csrf === 'string' ? ctx.query._csrf : '';
    const token = ctx.get('x-csrf-token') || (typeof field === 'string' ? field : '') || inAddress;
    if (!token || !csrfTokenValid(request.deps.tokenKeys, scope.actor.user.sessionId, token)) {
      throw new AppError('forbidden', 'This request needs the X-CSRF-Token header of your session (GET /api/v1/auth/csrf).');
    }
  },
};

export const enrolmentGuard: Guard = {
  name: 'two-factor-enrolment',
  entries: ['request'],
  check: ({ scope, request }) => {
    if (scope.actor.type === 'user' && scope.actor.user.enrolmentOnly && !request?.duringEnrolment) {
      throw new AppError('two-factor-enrolment-required', 'Your school requires two-factor sign-in. Set it up first: POST /api/v1/me/two-factor.');
    }
  },
};
