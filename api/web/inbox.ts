// The inbox page: the person's notifications, newest first, and "mark all read". Every signed-in
// page also loads live.js, which shows the unread count in the navigation and announces new
// notifications as they arrive over the event stream (GET /api/v1/me/events).
// Email settings (/settings/notifications, the link at the foot of every notification email):
// per kind, email at once, in the daily digest, or none; the inbox keeps everything either way.
import { z } from 'zod';
import { inbox, KINDS, type Kind, MODES, type Mode, markAllRead, preferences, preferencesInput, setPreferences } from '../notifications/service.ts';
import type { Scope } from '../scope.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { phrase } from './words.ts';

const settingsForm = z.object({ _csrf: z.string().max(200).optional(), ...Object.fromEntries(KINDS.map((k) => [k, z.string().max(20).optional()])) });

/** One fieldset per kind of notification, a radio per email choice. */
async function settingsPage(
  scope: Scope,
  deps: Parameters<typeof page>[1],
  chosen: Partial<Record<Kind, string>>,
  extra: { saved?: boolean; errors?: FieldErrors } = {},
) {
  const current = await preferences(scope);
  const kinds = KINDS.map((kind) => ({
    kind,
    label: phrase(`notifkind.${kind}`, {}),
    errors: extra.errors?.[kind],
    options: MODES.map((mode: Mode) => ({ mode, label: phrase(`notifmode.${mode}`, {}), checked: (chosen[kind] ?? current[kind]) === mode })),
  }));
  return page(scope, deps, 'notification-settings', { title: phrase('notifsettings.heading', {}), current: '/me/notifications', kinds, ...extra });
}

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
  pageRoute({
    method: 'get',
    path: '/settings/notifications',
    summary: 'Which notifications also come by email',
    access: 'signed-in',
    allowReadOnly: true,
    query: z.object({ saved: z.literal('1').optional() }),
    handler: async ({ scope, deps, query }) => settingsPage(scope, deps, {}, { saved: query.saved === '1' }),
  }),
  pageRoute({
    method: 'post',
    path: '/settings/notifications',
    summary: 'Save which notifications also come by email',
    access: 'signed-in',
    allowReadOnly: true,
    form: true,
    body: settingsForm,
    handler: async ({ scope, deps, body }) => {
      const { _csrf, ...choices } = body;
      const checked = checkForm(preferencesInput, Object.fromEntries(Object.entries(choices).filter(([, v]) => v !== undefined && v !== '')));
      if (!checked.ok) return { ...(await settingsPage(scope, deps, choices as Partial<Record<Kind, string>>, { errors: checked.errors })), status: 422 };
      await setPreferences(scope, checked.data);
      return { redirect: '/settings/notifications?saved=1' };
    },
  }),
];
