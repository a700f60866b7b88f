// Pages every signed-in person uses: a notice (opening it records the read receipt), search
// across what they may see, and "my devices" (sign-in sessions, each one can be signed out).
import { z } from 'zod';
import { endOwnSession, listOwnSessions } from '../auth/sessions.ts';
import { findClass } from '../classes/service.ts';
import { AppError } from '../errors.ts';
import { findNotice, listReceipts, markRead, presentNotice } from '../notices/service.ts';
import { search } from '../search/service.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });

/** Read receipts are for the class's teachers and admins; anyone else simply gets none. */
function forbiddenAsNone(error: unknown): undefined {
  if (error instanceof AppError && (error.status === 403 || error.status === 404)) return undefined;
  throw error;
}

export const everydayPages = [
  pageRoute({
    method: 'get',
    path: '/notices/:id',
    summary: 'A notice; opening it marks it read',
    access: { action: 'read', subject: 'Notice' },
    allowReadOnly: true,
    // The read receipt is the one write: it is what "seen by" in the teacher's view counts.
    writes: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const row = await findNotice(scope, params.id);
      if (scope.actor.type === 'user' && !scope.ability.can('update', 'Notice') && scope.tenant.access_level !== 'read_only') await markRead(scope, params.id);
      const notice = presentNotice(scope, { ...row });
      const klass = notice.class_id ? await findClass(scope, notice.class_id) : undefined;
      // Whoever manages the notice (its class's teachers, admins) sees who has read it.
      const receipts =
        scope.ability.can('update', 'Notice') && notice.status === 'published'
          ? await listReceipts(scope, params.id, { limit: 100 }).catch(forbiddenAsNone)
          : undefined;
      return page(scope, deps, 'notice', { title: notice.title, notice, receipts, klass: klass ? { id: klass.id, name: klass.name } : undefined });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/search',
    summary: 'Search classes, homework, resources and notices',
    access: 'signed-in',
    allowReadOnly: true,
    query: z.object({ q: z.string().max(200).optional() }),
    handler: async ({ scope, deps, query }) => {
      const q = query.q?.trim() ?? '';
      const hits = q ? (await search(scope, { q, limit: 50 })).data : [];
      const href = (h: (typeof hits)[number]) =>
        h.kind === 'class'
          ? `/classes/${h.id}`
          : h.kind === 'homework'
            ? `/homework/${h.id}`
            : h.kind === 'notice'
              ? `/notices/${h.id}`
              : h.kind === 'offering'
                ? `/catalogue/${h.id}`
                : `/classes/${h.class_id}`;
      return page(scope, deps, 'search', { title: 'Search', searchQuery: q, searched: q !== '', hits: hits.map((h) => ({ ...h, href: href(h) })) });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/me/devices',
    summary: 'My devices: where I am signed in',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    handler: async ({ scope, deps }) => page(scope, deps, 'devices', { title: 'My devices', current: '/me/devices', sessions: await listOwnSessions(scope) }),
  }),
  pageRoute({
    method: 'post',
    path: '/me/devices/:id/sign-out',
    summary: 'Sign one of my devices out',
    access: 'signed-in',
    allowReadOnly: true,
    duringEnrolment: true,
    params: idParams,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, params }) => {
      await endOwnSession(scope, params.id, 'signed_out_elsewhere');
      return { redirect: '/me/devices' };
    },
  }),
];
