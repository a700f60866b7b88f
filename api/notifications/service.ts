// Notifications: one row per person in `notifications` (the in-app inbox), a live event to their
// open pages (api/notifications/events.ts), and email by their preference for that kind:
// immediately, in the daily digest, or not at all (the inbox keeps it either way).
// Everything here runs in the caller's transaction: rows, events and email jobs commit together.
import { z } from 'zod';
import { type PageQuery, paginate } from '../content/pagination.ts';
import { notFound } from '../errors.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { publishEvents } from './events.ts';

export const KINDS = [
  'homework_assigned',
  'homework_due',
  'submission_returned',
  'notice',
  'notice_important',
  'quiz_opening',
  'guardian_summary',
  'certificate_issued',
] as const;
export type Kind = (typeof KINDS)[number];
export const MODES = ['immediately', 'daily', 'off'] as const;
export type Mode = (typeof MODES)[number];

/** What a person gets until they choose otherwise. Ordinary notices wait for the digest. */
export const DEFAULT_MODES: Record<Kind, Mode> = {
  homework_assigned: 'immediately',
  homework_due: 'immediately',
  submission_returned: 'immediately',
  notice: 'daily',
  notice_important: 'immediately',
  quiz_opening: 'immediately',
  guardian_summary: 'immediately',
  certificate_issued: 'immediately',
};

export type NewNotification = {
  kind: Kind;
  title: string;
  body?: string;
  /** A path on the school's site, e.g. /homework/<id>. */
  link?: string;
  /** Per person: a second notification with the same key is not created (one reminder per homework). */
  dedupe: string;
};

export type NotificationRow = {
  id: string;
  kind: Kind;
  title: string;
  body: string;
  link: string | null;
  created_at: Date;
  read_at: Date | null;
};

const COLUMNS = ['id', 'kind', 'title', 'body', 'link', 'created_at', 'read_at'];

/** Tells these people (active ones only); returns how many were new. `site`: the school's
 * address, for the link in the email. */
export async function notify(scope: Scope, site: string, userIds: string[], item: NewNotification): Promise<number> {
  if (userIds.length === 0) return 0;
  const stamp = now(scope);
  const people: { id: string; email: string; first_name: string; mode: Mode | null }[] = await scope
    .db('users as u')
    .leftJoin('notification_preferences as p', (j) => j.on('p.tenant_id', 'u.tenant_id').andOn('p.user_id', 'u.id').andOnVal('p.kind', item.kind))
    .whereIn('u.id', [...new Set(userIds)])
    .where('u.status', 'active')
    .select('u.id', 'u.email', 'u.first_name', 'p.mode');
  if (people.length === 0) return 0;
  const modeOf = (p: { mode: Mode | null }) => p.mode ?? DEFAULT_MODES[item.kind];
  const title = item.title.slice(0, 300);
  const body = (item.body ?? '').slice(0, 2000);
  const inserted: { id: string; user_id: string; email: string }[] = await scope
    .db('notifications')
    .insert(
      people.map((p) => ({
        tenant_id: scope.tenant.id,
        user_id: p.id,
        kind: item.kind,
        title,
        body,
        link: item.link ?? null,
        dedupe_key: item.dedupe,
        email: { immediately: 'sent', daily: 'digest', off: 'none' }[modeOf(p)],
        created_at: stamp,
      })),
    )
    .onConflict(['tenant_id', 'user_id', 'dedupe_key'])
    .ignore()
    .returning(['id', 'user_id', 'email']);
  const byId = new Map(people.map((p) => [p.id, p]));
  for (const row of inserted) {
    const person = byId.get(row.user_id);
    if (!person || row.email !== 'sent') continue;
    await enqueueMail(
      scope,
      {
        to: person.email,
        template: 'notification',
        data: {
          first_name: person.first_name,
          school_name: scope.tenant.name,
          title,
          body,
          ...(item.link ? { link_url: `${site}${item.link}` } : {}),
        },
      },
      { preferences: true, singletonKey: `notification:${row.id}` },
    );
  }
  await publishEvents(
    scope,
    inserted.map((row) => ({ user_id: row.user_id, type: 'notification', id: row.id })),
  );
  return inserted.length;
}

// ---- the inbox ------------------------------------------------------------------------------

function me(scope: Scope): string {
  const id = actorUserId(scope.actor);
  if (!id) throw notFound('Your inbox');
  return id;
}

export async function inbox(scope: Scope, page: PageQuery, filter: { unread?: boolean } = {}) {
  const userId = me(scope);
  const query = scope.db('notifications').where({ user_id: userId }).select(COLUMNS);
  if (filter.unread) query.whereNull('read_at');
  const result = await paginate<NotificationRow>(query, page, {
    sort: 'created_at',
    id: 'id',
    sortOf: (r) => new Date(r.created_at).toISOString(),
    idOf: (r) => r.id,
    descending: true,
  });
  const counted = await scope.db('notifications').where({ user_id: userId }).whereNull('read_at').count<{ count: string }[]>('* as count');
  return { ...result, unread_count: Number(counted[0]?.count ?? 0) };
}

export async function markRead(scope: Scope, id: string): Promise<NotificationRow> {
  const userId = me(scope);
  const [row] = await scope
    .db('notifications')
    .where({ id, user_id: userId })
    .update({ read_at: scope.db.raw('coalesce(read_at, ?)', [now(scope)]) })
    .returning(COLUMNS);
  if (!row) throw notFound('The notification');
  return row;
}

export async function markAllRead(scope: Scope): Promise<{ marked: number }> {
  const marked = await scope
    .db('notifications')
    .where({ user_id: me(scope) })
    .whereNull('read_at')
    .update({ read_at: now(scope) });
  return { marked };
}

// ---- preferences ----------------------------------------------------------------------------

export const preferencesInput = z
  .object(Object.fromEntries(KINDS.map((k) => [k, z.enum(MODES).optional()])) as Record<Kind, z.ZodOptional<z.ZodEnum<{ [M in Mode]: M }>>>)
  .strict();

export async function preferences(scope: Scope): Promise<Record<Kind, Mode>> {
  const rows: { kind: Kind; mode: Mode }[] = await scope
    .db('notification_preferences')
    .where({ user_id: me(scope) })
    .select('kind', 'mode');
  const chosen = new Map(rows.map((r) => [r.kind, r.mode]));
  return Object.fromEntries(KINDS.map((k) => [k, chosen.get(k) ?? DEFAULT_MODES[k]])) as Record<Kind, Mode>;
}

export async function setPreferences(scope: Scope, input: Partial<Record<Kind, Mode>>): Promise<Record<Kind, Mode>> {
  const userId = me(scope);
  const rows = Object.entries(input)
    .filter(([, mode]) => mode !== undefined)
    .map(([kind, mode]) => ({ tenant_id: scope.tenant.id, user_id: userId, kind, mode }));
  if (rows.length > 0) await scope.db('notification_preferences').insert(rows).onConflict(['tenant_id', 'user_id', 'kind']).merge(['mode']);
  return preferences(scope);
}
