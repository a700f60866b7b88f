// The inbox page: the person's notifications, newest first, and "mark all read". Every signed-in
// page also loads live.js, which shows the unread count in the navigation and announces new
// notifications as they arrive over the event stream (GET /api/v1/me/events).
import { z } from 'zod';
import { inbox, markAllRead } from '../notifications/service.ts';
import { page, pageRoute } from './page.ts';

export const inboxPages = [
  pageRoute({
    method: 'get',
    path: '/me/notifications',
    summary: 'My notifications',
    access: 'signed-in',
    allowReadOnly: true,
    query: z.object({ cursor: z.string().max(500).optional() }),
    handler: async ({ scope, deps, query }) => {
      const box = await inbox(scope, { limit: 50, ...(query.cursor ? { cursor: query.cursor } : {}) });
      return page(scope, deps, 'inbox', {
        title: 'Notifications',
        current: '/me/notifications',
        box,
        nextPage: box.next_cursor ? `/me/notifications?cursor=${encodeURIComponent(box.next_cursor)}` : undefined,
      });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/me/notifications/read-all',
    summary: 'Mark every notification read',
    access: 'signed-in',
    allowReadOnly: true,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope }) => {
      await markAllRead(scope);
      return { redirect: '/me/notifications' };
    },
  }),
];
