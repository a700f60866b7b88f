// The seam between "a notice became visible" and "people are told about it". Publishing queues
// one notice_deliveries row per recipient (status 'pending') in the same transaction as the
// notice itself, so a rolled-back request queues nothing and a committed one cannot lose its
// recipients. Nothing is sent here: the same transaction queues a `notice-published` job
// (api/jobs/outbox.ts), whose handler (api/notifications/jobs.ts) checks the notice is still
// published and tells each pending recipient by their preferences, marking the rows 'sent'.
//
// Who is queued: for a class notice, its enrolled students and their linked guardians; for a
// school-wide notice, every active person of the school. The author is never queued; nor are
// deactivated people. A person is queued at most once per notice (unique key).
//
// When it fires:
//  - at once, when a notice is created published or updated to publish now (api/notices/service.ts);
//  - for a notice scheduled for later, when its time has come: fanOutDueNotices, which the
//    worker's school tick runs every few minutes (api/jobs/timed.ts), without any request.
import { enqueue } from '../jobs/outbox.ts';
import { now, type Scope } from '../scope.ts';
import { Notice } from './model.ts';

/** Queues the notice's recipients; returns how many were (re)queued. Idempotent: a recipient
 * already queued or sent is left alone; one cancelled by an earlier unpublish is queued again. */
export async function noticePublished(scope: Scope, notice: Pick<Notice, 'id' | 'class_id' | 'created_by'>): Promise<number> {
  const stamp = now(scope);
  const audience = notice.class_id
    ? `(exists (select 1 from enrollments e
                 where e.tenant_id = u.tenant_id and e.class_id = ? and e.role = 'student' and e.user_id = u.id)
        or exists (select 1 from guardian_links g
                     join enrollments e on e.tenant_id = g.tenant_id and e.user_id = g.student_id and e.role = 'student'
                    where g.tenant_id = u.tenant_id and g.guardian_id = u.id and e.class_id = ?))`
    : 'true';
  const result = await scope.db.raw(
    `insert into notice_deliveries (tenant_id, notice_id, user_id, status, created_at, updated_at)
     select u.tenant_id, ?, u.id, 'pending', ?, ? from users u
      where u.status = 'active' and u.id is distinct from ?::uuid and ${audience}
     on conflict (tenant_id, notice_id, user_id)
       do update set status = 'pending', updated_at = excluded.updated_at where notice_deliveries.status = 'cancelled'`,
    [notice.id, stamp, stamp, notice.created_by, ...(notice.class_id ? [notice.class_id, notice.class_id] : [])],
  );
  await Notice.query(scope.db).patch({ fanned_out_at: stamp }).where({ id: notice.id });
  // The worker tells the recipients (inbox, live event, email by their preferences); queued in
  // this transaction, so an unpublished or rolled-back notice tells no one.
  await enqueue(scope, 'notice-published', { notice_id: notice.id }, { singletonKey: `notice:${notice.id}` });
  return (result as { rowCount: number }).rowCount;
}

/** A published notice went back to draft or to a later time: deliveries not yet sent are
 * cancelled, and it fans out again when it is next published. */
export async function noticeWithdrawn(scope: Scope, noticeId: string): Promise<void> {
  await scope
    .db('notice_deliveries')
    .where({ notice_id: noticeId, status: 'pending' })
    .update({ status: 'cancelled', updated_at: now(scope) });
  await Notice.query(scope.db).patch({ fanned_out_at: null }).where({ id: noticeId });
}

/** Fans out every notice of the scope's school whose scheduled time has passed. For the
 * background-jobs worker (one run per school, system scope); returns the notices fanned out. */
export async function fanOutDueNotices(scope: Scope): Promise<string[]> {
  const due = await Notice.query(scope.db)
    .select('id', 'class_id', 'created_by')
    .whereNull('fanned_out_at')
    .whereNotNull('publish_at')
    .where('publish_at', '<=', now(scope))
    .orderBy('publish_at')
    // Two overlapping runs must not both queue the same notice.
    .forUpdate()
    .skipLocked();
  for (const notice of due) await noticePublished(scope, notice);
  return due.map((n) => n.id);
}
