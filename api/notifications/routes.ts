import { z } from 'zod';
import { pageQuery } from '../content/pagination.ts';
import { notFound } from '../errors.ts';
import { tenantRoute } from '../http/route.ts';
import { actorUserId } from '../scope.ts';
import { eventHub } from './events.ts';
import { inbox, KINDS, MODES, markAllRead, markRead, preferences, preferencesInput, setPreferences } from './service.ts';

const notificationView = z.object({
  id: z.uuid(),
  kind: z.enum(KINDS),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  created_at: z.date(),
  read_at: z.date().nullable(),
});
const inboxView = z.object({ data: z.array(notificationView), next_cursor: z.string().nullable(), unread_count: z.number().int() });
const preferencesView = z.object(Object.fromEntries(KINDS.map((k) => [k, z.enum(MODES)])));
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

/** How often an idle event stream gets a comment line, so proxies do not close it. */
const KEEPALIVE_MS = 25_000;

export const notificationRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/notifications',
    summary: 'Your inbox: newest first, with the number unread',
    tags: ['notifications'],
    access: 'signed-in',
    query: pageQuery.extend({ unread: booleanQuery.optional().describe('Only unread ones.') }),
    responses: { 200: { description: 'A page of notifications', schema: inboxView } },
    handler: async ({ scope, query }) => ({ body: await inbox(scope, query, { unread: query.unread ?? false }) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/notifications/read-all',
    summary: 'Mark every notification read',
    tags: ['notifications'],
    access: 'signed-in',
    responses: { 200: { description: 'How many were marked', schema: z.object({ marked: z.number().int() }) } },
    handler: async ({ scope }) => ({ body: await markAllRead(scope) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/me/notifications/:id/read',
    summary: 'Mark one notification read',
    tags: ['notifications'],
    access: 'signed-in',
    params: z.object({ id: z.uuid() }),
    responses: { 200: { description: 'The notification', schema: notificationView } },
    handler: async ({ scope, params }) => ({ body: await markRead(scope, params.id) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/notification-preferences',
    summary: 'How you want to hear about each kind of notification',
    description: 'Per kind: immediately (an email each time), daily (one digest email at 7:00 school time), or off (inbox only).',
    tags: ['notifications'],
    access: 'signed-in',
    responses: { 200: { description: 'Your preferences', schema: preferencesView } },
    handler: async ({ scope }) => ({ body: await preferences(scope) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/me/notification-preferences',
    summary: 'Change how you hear about some kinds of notification',
    tags: ['notifications'],
    access: 'signed-in',
    body: preferencesInput,
    responses: { 200: { description: 'Your preferences', schema: preferencesView } },
    handler: async ({ scope, body }) => ({ body: await setPreferences(scope, body) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/events',
    summary: 'Live updates for open pages (Server-Sent Events)',
    description:
      'A text/event-stream of `notification` events (`data: {"type":"notification","id":…}`) for the signed-in person at this school only. A comment line `: connected` says the stream is live. Works across API processes (PostgreSQL LISTEN/NOTIFY).',
    tags: ['notifications'],
    access: 'signed-in',
    responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    handler: async ({ scope, deps, ctx }) => {
      const tenantId = scope.tenant.id;
      const userId = actorUserId(scope.actor);
      if (!userId) throw notFound('Your events');
      // The transaction only checked who is asking; the stream runs after it has ended.
      return {
        afterCommit: async () => {
          const hub = eventHub(deps.dbs.appUrl, (error) => deps.log.error({ err: error }, 'live events connection failed'));
          // Written straight to the socket (Koa does not respond): the stream ends when the client
          // goes away, which is normal for an event stream, not an error.
          const res = ctx.res;
          const unsubscribe = await hub.subscribe(tenantId, userId, (event) => {
            res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
          });
          const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
          ctx.req.on('close', () => {
            clearInterval(keepalive);
            unsubscribe();
            res.end();
          });
          ctx.respond = false;
          res.writeHead(200, {
            'Content-Type': 'text/event-stream',
            'Cache-Control': 'no-cache',
            'X-Accel-Buffering': 'no',
            'X-Request-Id': String(ctx.state.requestId ?? ''),
          });
          res.write(': connected\n\n');
          return { status: 200 };
        },
      };
    },
  }),
];
