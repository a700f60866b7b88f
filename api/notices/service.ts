// Notices (announcements), per class or school-wide, with read receipts. Every list and single
// read filters by the Notice rules turned into SQL (api/notices/rules.ts), including
// "published", which is evaluated against the scope's clock: scheduled notices need no job to
// appear. Publishing hands the notice to api/notices/fan-out.ts.
import type { Knex } from 'knex';
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { Class } from '../classes/model.ts';
import { assertClassWritable, assertNotArchived, findClass } from '../classes/service.ts';
import { attachResolved, presentAttachments, resolveAttachments } from '../content/attachments.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { type Page, paginate } from '../content/pagination.ts';
import { publishInstant, schoolClock } from '../content/school-time.ts';
import { conflict, forbidden } from '../errors.ts';
import { actorUserId, now, type Role, type Scope } from '../scope.ts';
import { noticePublished, noticeWithdrawn } from './fan-out.ts';
import { NOTICE_FIELDS_ON_CLASS, NOTICE_FIELDS_SCHOOL_WIDE, Notice, noticeFields, noticeStatus } from './model.ts';
import type { CreateNoticeInput, NoticeListQuery, NoticeView, ReceiptsQuery, ReceiptsView, UpdateNoticeInput } from './schema.ts';

/** A notice row with the caller's read receipt. */
export type NoticeRow = Pick<
  Notice,
  'id' | 'class_id' | 'title' | 'body' | 'important' | 'pinned' | 'attachments' | 'publish_at' | 'fanned_out_at' | 'created_by' | 'created_at' | 'updated_at'
> & { read_at: Date | null };

export function presentNotice(scope: Scope, n: NoticeRow): NoticeView {
  return {
    id: n.id,
    class_id: n.class_id,
    title: n.title,
    body: n.body,
    body_html: renderMarkdown(n.body),
    important: n.important,
    pinned: n.pinned,
    attachments: presentAttachments(n.attachments),
    status: noticeStatus(scope, n.publish_at),
    publish_at: n.publish_at ? new Date(n.publish_at).toISOString() : null,
    publish_at_local: schoolClock(scope, n.publish_at),
    read: n.read_at !== null,
    read_at: n.read_at ? new Date(n.read_at).toISOString() : null,
    created_by: n.created_by,
    created_at: new Date(n.created_at).toISOString(),
    updated_at: new Date(n.updated_at).toISOString(),
  };
}

/** Notices the caller may `action`, each with the caller's read_at (null if unread). */
function visibleNotices(scope: Scope, action: Action): Knex.QueryBuilder {
  const userId = actorUserId(scope.actor);
  return scope
    .db('notices')
    .leftJoin('notice_reads as nr', (j) => {
      j.on('nr.tenant_id', 'notices.tenant_id').andOn('nr.notice_id', 'notices.id');
      // Operators and jobs have read nothing.
      if (userId) j.andOnVal('nr.user_id', userId);
      else j.andOn(scope.db.raw('false'));
    })
    .modify(accessibleBy(scope.ability, action, 'Notice', noticeFields(scope)))
    .select('notices.*', 'nr.read_at');
}

/** The notice if the ability allows `action` on it: 404 when the caller may not see it (drafts
 * and scheduled notices included, for readers), 403 when they may see it but not do this. */
export function findNotice(scope: Scope, id: string, action: Action = 'read'): Promise<NoticeRow> {
  return findAccessible(action, async (a) => (await visibleNotices(scope, a).where('notices.id', id).first()) as NoticeRow | undefined, {
    what: 'The notice',
    cannot: 'You can see this notice but not manage it.',
  });
}

export async function listNotices(scope: Scope, query: NoticeListQuery): Promise<Page<NoticeRow>> {
  const at = now(scope);
  const inner = visibleNotices(scope, 'read').select(
    // Pinned first, then newest (by publish time; drafts by creation): one ascending key for
    // keyset paging, the time inverted into fixed-width digits.
    scope.db.raw(
      `((case when notices.pinned then '0' else '1' end)
        || lpad((9999999999999 - floor(extract(epoch from coalesce(notices.publish_at, notices.created_at)) * 1000))::bigint::text, 13, '0')) collate "C" as sort_key`,
    ),
  );
  if (query.class_id) inner.where('notices.class_id', query.class_id);
  if (query.school_wide !== undefined) inner.where((q) => (query.school_wide ? q.whereNull('notices.class_id') : q.whereNotNull('notices.class_id')));
  if (query.important !== undefined) inner.where('notices.important', query.important);
  if (query.pinned !== undefined) inner.where('notices.pinned', query.pinned);
  if (query.status === 'draft') inner.whereNull('notices.publish_at');
  if (query.status === 'scheduled') inner.where('notices.publish_at', '>', at);
  if (query.status === 'published') inner.where('notices.publish_at', '<=', at);
  type Row = NoticeRow & { sort_key: string };
  return paginate<Row>(scope.db.from(inner.as('n')).select('n.*'), query, { sort: 'n.sort_key', id: 'n.id', sortOf: (n) => n.sort_key, idOf: (n) => n.id });
}

export async function listClassNotices(scope: Scope, classId: string, query: Omit<NoticeListQuery, 'class_id' | 'school_wide'>): Promise<Page<NoticeRow>> {
  await findClass(scope, classId, 'read');
  return listNotices(scope, { ...query, class_id: classId });
}

/** The publish_at to store. A time already past publishes now (not back-dated, so it does not
 * sink below older notices); a notice already published keeps its time when told to publish. */
function publishAtFrom(scope: Scope, value: string | null | undefined, current: Date | null): Date | null {
  if (value === undefined) return current;
  if (value === null) return null;
  const at = now(scope);
  const wanted = publishInstant(scope, value);
  if (wanted > at) return wanted;
  return current && noticeStatus(scope, current) === 'published' ? current : at;
}

export async function createClassNotice(scope: Scope, classId: string, input: CreateNoticeInput): Promise<NoticeRow> {
  const klass = await findClass(scope, classId, 'read');
  const allowed = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, 'create', 'Notice', NOTICE_FIELDS_ON_CLASS))
    .findOne({ 'classes.id': classId });
  if (!allowed) throw forbidden('You can see this class but not post notices in it.');
  assertNotArchived(klass);
  return insertNotice(scope, classId, input);
}

export async function createSchoolNotice(scope: Scope, input: CreateNoticeInput): Promise<NoticeRow> {
  const allowed = await scope.db
    .queryBuilder()
    .select(scope.db.raw('1 as ok'))
    .modify(accessibleBy(scope.ability, 'create', 'Notice', NOTICE_FIELDS_SCHOOL_WIDE))
    .first();
  if (!allowed) throw forbidden('Only admins post school-wide notices; post in one of your classes instead.');
  return insertNotice(scope, null, input);
}

async function insertNotice(scope: Scope, classId: string | null, input: CreateNoticeInput): Promise<NoticeRow> {
  const attachments = await resolveAttachments(scope, input.attachments ?? [], { kind: 'notice', classId }, 'attachments');
  const stamp = now(scope);
  const created = await Notice.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    class_id: classId,
    title: input.title,
    body: input.body,
    important: input.important ?? false,
    pinned: input.pinned ?? false,
    attachments: attachments.stored,
    publish_at: publishAtFrom(scope, input.publish_at, null),
    created_by: actorUserId(scope.actor) ?? null,
    created_at: stamp,
    updated_at: stamp,
  });
  await attachResolved(scope, attachments, { kind: 'notice', id: created.id, classId });
  const status = noticeStatus(scope, created.publish_at);
  await audit(scope, 'notice.created', { type: 'notice', id: created.id }, { class_id: classId, status });
  if (status === 'published') await noticePublished(scope, created);
  return findNotice(scope, created.id, 'read');
}

export async function updateNotice(scope: Scope, id: string, input: UpdateNoticeInput): Promise<NoticeRow> {
  const current = await findNotice(scope, id, 'update');
  await assertClassWritable(scope, current.class_id);
  const { publish_at, attachments: wanted, ...fields } = input;
  const target = { kind: 'notice' as const, id: current.id, classId: current.class_id };
  const attachments = wanted === undefined ? undefined : await resolveAttachments(scope, wanted, target, 'attachments');
  const publishAt = publishAtFrom(scope, publish_at, current.publish_at);
  await Notice.query(scope.db)
    .patch({ ...fields, ...(attachments ? { attachments: attachments.stored } : {}), publish_at: publishAt, updated_at: now(scope) })
    .where({ id });
  if (attachments) await attachResolved(scope, attachments, target);
  const was = noticeStatus(scope, current.publish_at);
  const is = noticeStatus(scope, publishAt);
  await audit(scope, 'notice.updated', { type: 'notice', id }, { fields: Object.keys(input), status: is });
  if (is === 'published' && was !== 'published') await noticePublished(scope, current);
  if (was === 'published' && is !== 'published') await noticeWithdrawn(scope, id);
  return findNotice(scope, id, 'read');
}

export async function deleteNotice(scope: Scope, id: string): Promise<void> {
  const current = await findNotice(scope, id, 'delete');
  await assertClassWritable(scope, current.class_id);
  await Notice.query(scope.db).delete().where({ id });
  await audit(scope, 'notice.deleted', { type: 'notice', id }, { class_id: current.class_id, title: current.title });
}

/** Marks the notice read for the caller; reading it again keeps the first read_at. */
export async function markRead(scope: Scope, id: string): Promise<{ notice_id: string; read_at: string }> {
  const userId = actorUserId(scope.actor);
  const notice = await findNotice(scope, id, 'read');
  if (!userId) throw forbidden('Only people mark notices read.');
  if (noticeStatus(scope, notice.publish_at) !== 'published') throw conflict('This notice is not published yet, so nobody can have read it.');
  await scope
    .db('notice_reads')
    .insert({ tenant_id: scope.tenant.id, notice_id: id, user_id: userId, read_at: now(scope) })
    .onConflict(['tenant_id', 'notice_id', 'user_id'])
    .ignore();
  const receipt = await scope.db('notice_reads').where({ notice_id: id, user_id: userId }).first('read_at');
  return { notice_id: id, read_at: new Date(receipt.read_at).toISOString() };
}

/** Who has read the notice and who has not: the class's enrolled students for a class notice,
 * every active person of the school for a school-wide one. */
export async function listReceipts(scope: Scope, id: string, query: ReceiptsQuery): Promise<ReceiptsView> {
  const notice = await findNotice(scope, id, 'update');
  const audience = () => {
    const q = scope
      .db('users as u')
      .leftJoin('notice_reads as r', (j) => j.on('r.tenant_id', 'u.tenant_id').andOn('r.user_id', 'u.id').andOnVal('r.notice_id', id))
      .where('u.status', 'active');
    if (notice.class_id) {
      q.whereExists((e) =>
        e
          .select(scope.db.raw('1'))
          .from('enrollments as e')
          .whereRaw('e.tenant_id = u.tenant_id and e.user_id = u.id')
          .where({ 'e.class_id': notice.class_id, 'e.role': 'student' }),
      );
    }
    return q;
  };
  const byRole = (await audience()
    .groupBy('u.role')
    .orderBy('u.role')
    .select('u.role', scope.db.raw('count(*)::int as total'), scope.db.raw('count(r.read_at)::int as read'))) as { role: Role; total: number; read: number }[];
  const total = byRole.reduce((sum, r) => sum + r.total, 0);
  const read = byRole.reduce((sum, r) => sum + r.read, 0);

  const inner = audience().select(
    'u.id',
    'u.first_name',
    'u.last_name',
    'u.email',
    'u.role',
    'r.read_at',
    scope.db.raw(`lower(u.last_name || ' ' || u.first_name || ' ' || u.email) as sort_name`),
  );
  if (query.read !== undefined) inner.where((q) => (query.read ? q.whereNotNull('r.read_at') : q.whereNull('r.read_at')));
  if (query.role) inner.where('u.role', query.role);
  type Row = { id: string; first_name: string; last_name: string; email: string; role: Role; read_at: Date | null; sort_name: string };
  const page = await paginate<Row>(scope.db.from(inner.as('a')).select('a.*'), query, {
    sort: 'a.sort_name',
    id: 'a.id',
    sortOf: (r) => r.sort_name,
    idOf: (r) => r.id,
  });
  return {
    notice_id: id,
    audience: notice.class_id ? 'class' : 'school',
    summary: { total, read, unread: total - read, by_role: byRole },
    data: page.data.map((r) => ({
      user: { id: r.id, first_name: r.first_name, last_name: r.last_name, email: r.email, role: r.role },
      read_at: r.read_at ? new Date(r.read_at).toISOString() : null,
    })),
    next_cursor: page.next_cursor,
  };
}
