// How a web page is declared and what every page gets. A page is an ordinary tenant route
// (api/http/route.ts) marked `page: true`: the same validation, tenant session, sign-in, CASL
// check and services as the API; errors render as HTML (api/web/errors.ts) and a signed-out
// visitor is sent to /sign-in. Forms post and redirect (POST → 303 → GET) and carry `_csrf`.

import type { AppDeps } from '../app-deps.ts';
import { csrfToken } from '../auth/sessions.ts';
import { accessOf } from '../billing/access.ts';
import { type AnyObject, type TenantRoute, tenantRoute } from '../http/route.ts';
import { now, type Scope } from '../scope.ts';
import { pageSchool, renderPage } from './render.ts';
import { phrase } from './words.ts';

type PageRoute<P extends AnyObject, Q extends AnyObject, B extends import('zod').ZodType> = Omit<
  TenantRoute<P, Q, B>,
  'host' | 'tags' | 'responses' | 'page'
> & {
  responses?: TenantRoute<P, Q, B>['responses'];
};

export function pageRoute<P extends AnyObject = AnyObject, Q extends AnyObject = AnyObject, B extends import('zod').ZodType = import('zod').ZodType>(
  route: PageRoute<P, Q, B>,
): TenantRoute<P, Q, B> {
  return tenantRoute<P, Q, B>({
    responses: route.method === 'get' ? { 200: { description: 'HTML page', contentType: 'text/html' } } : { 303: { description: 'Done: go to the next page' } },
    ...route,
    tags: ['pages'],
    page: true,
  });
}

type NavItem = { href: string; label: string; current: boolean; inbox?: boolean };

function navFor(scope: Scope, current: string): NavItem[] {
  if (scope.actor.type !== 'user') return [];
  const items: Omit<NavItem, 'current'>[] = [{ href: '/', label: phrase('nav.home') }];
  if (scope.ability.can('read', 'Class')) items.push({ href: '/classes', label: phrase('nav.classes') });
  // Courses (api/web/courses.ts): students and guardians, their classes' courses; teachers, the
  // courses of the classes they teach. Admins reach any class's course from the class.
  if (scope.ability.can('read', 'Course') && scope.actor.user.role !== 'admin') items.push({ href: '/courses', label: phrase('nav.courses') });
  // Students enrol themselves in courses from the catalogue (api/web/catalogue.ts).
  if (scope.ability.can('join', 'Offering')) items.push({ href: '/catalogue', label: phrase('nav.catalogue') });
  // People who may run the school (its admins): one entry, the hub of the admin pages.
  if (scope.ability.can('update', 'School')) items.push({ href: '/admin', label: phrase('nav.admin') });
  items.push(
    { href: '/me/notifications', label: phrase('nav.inbox'), inbox: true },
    { href: '/me/devices', label: phrase('nav.devices') },
    { href: '/me/two-factor', label: phrase('nav.security') },
  );
  return items.map((item) => ({ ...item, current: item.href === current }));
}

/** Renders a page for this request: the school, the signed-in person, the navigation and the
 * CSRF token that every form posts back. */
export function page(
  scope: Scope,
  deps: AppDeps,
  name: string,
  data: Record<string, unknown> & { title: string; current?: string },
): { html: string; status?: number } {
  const viewer = scope.actor.type === 'user' ? scope.actor.user : undefined;
  // The same billing words the API sends as Edify-Billing-Notice, for signed-in people.
  const access = viewer ? accessOf(scope.tenant, deps.config.billingGraceDays, now(scope)) : undefined;
  return {
    html: renderPage(name, {
      ...data,
      school: pageSchool(scope.tenant),
      viewer: viewer ? { first_name: viewer.first_name, last_name: viewer.last_name, role: viewer.role } : undefined,
      csrf: viewer ? csrfToken(deps.tokenKeys, viewer.sessionId) : undefined,
      nav: navFor(scope, data.current ?? ''),
      billing: access?.banner ? { text: access.banner, readOnly: access.level === 'read_only' } : undefined,
    }),
  };
}

/** Where to go after signing in: a path on this site only (the SSO return rule, one rule). */
export { safeReturnTo as safeNext } from '../sso/login.ts';
