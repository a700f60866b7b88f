// Job handlers for notifications. `noticeJob` runs when a notice becomes visible (queued by
// api/notices/fan-out.ts in the publishing transaction); `notificationsTick` is one school's
// timed part of the school tick (api/jobs/timed.ts): new homework, due-in-24-hours reminders,
// returned work, quizzes opening, the weekly guardian summary and the daily digest. Everything is
// idempotent through each notification's dedupe key, so a retried or overlapping tick tells no
// one twice. Times of day are the school's (its time zone), read from the scope's clock.
import { schoolUrl } from '../config.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import { inSchool, type WorkerDeps } from '../jobs/worker.ts';
import { now, type Scope } from '../scope.ts';
import { notify } from './service.ts';

/** The local hour at which digests and weekly summaries go out. */
export const DIGEST_HOUR = 7;
const DAY = 86_400_000;

/** A notice became visible: each pending recipient is told (inbox, live event, email by preference). */
export async function noticeJob(deps: WorkerDeps, data: { tenant_id: string; notice_id: string }): Promise<void> {
  await inSchool(deps, data.tenant_id, 'notice-published', async (scope) => {
    const notice = await scope
      .db('notices')
      .where({ id: data.notice_id })
      .whereNotNull('publish_at')
      .where('publish_at', '<=', now(scope))
      .first('id', 'title', 'important');
    // Unpublished (or deleted) since: its pending deliveries were cancelled; nothing to tell.
    if (!notice) return;
    const pending: { user_id: string }[] = await scope.db('notice_deliveries').where({ notice_id: notice.id, status: 'pending' }).select('user_id');
    await notify(
      scope,
      schoolUrl(deps.config, scope.tenant.slug),
      pending.map((p) => p.user_id),
      { kind: notice.important ? 'notice_important' : 'notice', title: notice.title, link: `/notices/${notice.id}`, dedupe: `notice:${notice.id}` },
    );
    await scope
      .db('notice_deliveries')
      .where({ notice_id: notice.id, status: 'pending' })
      .update({ status: 'sent', sent_at: now(scope), updated_at: now(scope) });
  });
}

/** Something was published or returned just now (api/notifications/soon.ts): the school's
 * notification sweep runs at once, the same idempotent one the tick runs. */
export async function notifyJob(deps: WorkerDeps, data: { tenant_id: string }): Promise<void> {
  await inSchool(deps, data.tenant_id, 'notify', (scope) => notificationsTick(scope, schoolUrl(deps.config, scope.tenant.slug)));
}

/** The school's wall clock at `at`: its date, hour and weekday. */
export function schoolLocal(at: Date, timeZone: string): { date: string; hour: number; weekday: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'short' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), weekday: String(parts.weekday) };
}

type Pair = { subject_id: string; title: string; user_id: string; extra?: string | null };

function grouped(rows: Pair[]): Map<string, { title: string; extra: string | null; users: string[] }> {
  const map = new Map<string, { title: string; extra: string | null; users: string[] }>();
  for (const r of rows) {
    const entry = map.get(r.subject_id) ?? { title: r.title, extra: r.extra ?? null, users: [] };
    entry.users.push(r.user_id);
    map.set(r.subject_id, entry);
  }
  return map;
}

// Students a homework is assigned to (the same rule as api/homework: the class's students, all of
// them or the chosen ones), for homework `h`.
const ASSIGNED = `join enrollments e on e.tenant_id = h.tenant_id and e.class_id = h.class_id and e.role = 'student'
  join classes c on c.tenant_id = h.tenant_id and c.id = h.class_id and c.archived_at is null
  where (h.assign_to_all or exists (select 1 from homework_assignees a where a.tenant_id = h.tenant_id and a.homework_id = h.id and a.student_id = e.user_id))`;

/** One school's timed notifications; counts by kind (new notifications only). */
export async function notificationsTick(scope: Scope, site: string): Promise<Record<string, number>> {
  const at = now(scope);
  const recent = new Date(at.getTime() - 2 * DAY);
  const counts: Record<string, number> = {};
  const add = (kind: string, n: number) => {
    if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
  };

  // New homework (published within the last two days: a tick that was down catches up).
  const published = await scope.db.raw(`select h.id as subject_id, h.title, e.user_id from homework h ${ASSIGNED} and h.publish_at <= ? and h.publish_at > ?`, [
    at,
    recent,
  ]);
  for (const [id, hw] of grouped(published.rows)) {
    add(
      'homework_assigned',
      await notify(scope, site, hw.users, { kind: 'homework_assigned', title: hw.title, link: `/homework/${id}`, dedupe: `homework:${id}` }),
    );
  }

  // Due within 24 hours and not handed in: one reminder per homework per student.
  const due = await scope.db.raw(
    `select h.id as subject_id, h.title, e.user_id from homework h ${ASSIGNED}
       and h.publish_at <= ? and h.due_at > ? and h.due_at <= ?
       and not exists (select 1 from submissions s where s.tenant_id = h.tenant_id and s.homework_id = h.id
                        and s.student_id = e.user_id and s.submitted_at is not null)`,
    [at, at, new Date(at.getTime() + DAY)],
  );
  for (const [id, hw] of grouped(due.rows)) {
    add(
      'homework_due',
      await notify(scope, site, hw.users, {
        kind: 'homework_due',
        title: `Due soon: ${hw.title}`,
        body: 'Due within 24 hours and not handed in yet.',
        link: `/homework/${id}`,
        dedupe: `due:${id}`,
      }),
    );
  }

  // Work graded and handed back.
  const returned = await scope.db.raw(
    `select s.id as subject_id, h.title, s.student_id as user_id, extract(epoch from s.returned_at)::bigint::text as extra
       from submissions s join homework h on h.tenant_id = s.tenant_id and h.id = s.homework_id
      where s.status = 'returned' and s.returned_at > ? and s.returned_at <= ?`,
    [recent, at],
  );
  for (const [id, work] of grouped(returned.rows)) {
    add(
      'submission_returned',
      await notify(scope, site, work.users, {
        kind: 'submission_returned',
        title: `Returned: ${work.title}`,
        link: `/submissions/${id}`,
        dedupe: `returned:${id}:${work.extra}`,
      }),
    );
  }

  // Quizzes opening.
  const opening = await scope.db.raw(
    `select q.id as subject_id, q.title, e.user_id from quizzes q
       join classes c on c.tenant_id = q.tenant_id and c.id = q.class_id and c.archived_at is null
       join enrollments e on e.tenant_id = q.tenant_id and e.class_id = q.class_id and e.role = 'student'
      where q.status = 'published' and coalesce(q.opens_at, q.published_at) <= ? and coalesce(q.opens_at, q.published_at) > ?
        and (q.closes_at is null or q.closes_at > ?)`,
    [at, recent, at],
  );
  for (const [id, quiz] of grouped(opening.rows)) {
    add(
      'quiz_opening',
      await notify(scope, site, quiz.users, { kind: 'quiz_opening', title: `Quiz open: ${quiz.title}`, link: `/quizzes/${id}`, dedupe: `quiz:${id}` }),
    );
  }

  const local = schoolLocal(at, scope.tenant.timezone);
  if (local.hour >= DIGEST_HOUR && local.weekday === 'Mon') add('guardian_summary', await guardianSummaries(scope, site, local.date));
  if (local.hour === DIGEST_HOUR) add('digest', await sendDigests(scope, site));
  return counts;
}

/** Mondays: each guardian gets what their students have due this week and their recent grades. */
async function guardianSummaries(scope: Scope, site: string, localDate: string): Promise<number> {
  const at = now(scope);
  const { rows } = await scope.db.raw(
    `select g.guardian_id,
            (select count(*) from homework h ${ASSIGNED.replace('where (', 'where e.user_id = g.student_id and (')}
               and h.publish_at <= ? and h.due_at > ? and h.due_at <= ?
               and not exists (select 1 from submissions s where s.tenant_id = h.tenant_id and s.homework_id = h.id
                                and s.student_id = e.user_id and s.submitted_at is not null))::int as due,
            (select count(*) from submissions s where s.tenant_id = g.tenant_id and s.student_id = g.student_id
               and s.status = 'returned' and s.returned_at > ?)::int as graded
       from guardian_links g`,
    [at, at, new Date(at.getTime() + 7 * DAY), new Date(at.getTime() - 7 * DAY)],
  );
  const totals = new Map<string, { due: number; graded: number }>();
  for (const r of rows as { guardian_id: string; due: number; graded: number }[]) {
    const t = totals.get(r.guardian_id) ?? { due: 0, graded: 0 };
    totals.set(r.guardian_id, { due: t.due + r.due, graded: t.graded + r.graded });
  }
  let sent = 0;
  for (const [guardian, t] of totals) {
    sent += await notify(scope, site, [guardian], {
      kind: 'guardian_summary',
      title: 'Your weekly summary',
      body: `Due in the next 7 days and not handed in: ${t.due}. Graded and returned in the last 7 days: ${t.graded}.`,
      link: '/dashboard',
      dedupe: `summary:${localDate}`,
    });
  }
  return sent;
}

/** Everyone with notifications waiting for the digest gets one email listing them. */
export async function sendDigests(scope: Scope, site: string): Promise<number> {
  const waiting: { id: string; user_id: string; title: string; email: string; first_name: string }[] = await scope
    .db('notifications as n')
    .join('users as u', (j) => j.on('u.tenant_id', 'n.tenant_id').andOn('u.id', 'n.user_id'))
    .where('n.email', 'digest')
    .where('u.status', 'active')
    .orderBy(['n.user_id', 'n.created_at'])
    .select('n.id', 'n.user_id', 'n.title', 'u.email', 'u.first_name')
    .forUpdate('n')
    .skipLocked();
  const byUser = new Map<string, typeof waiting>();
  for (const row of waiting) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row]);
  for (const [, rows] of byUser) {
    const first = rows[0] as (typeof rows)[number];
    await enqueueMail(
      scope,
      {
        to: first.email,
        template: 'digest',
        data: {
          first_name: first.first_name,
          school_name: scope.tenant.name,
          items: rows.slice(0, 50).map((r) => r.title),
          count: rows.length,
          inbox_url: `${site}/notifications`,
        },
      },
      { preferences: true },
    );
  }
  if (waiting.length > 0) {
    await scope
      .db('notifications')
      .whereIn(
        'id',
        waiting.map((r) => r.id),
      )
      .update({ email: 'digested' });
  }
  return byUser.size;
}
