// Handing work in, and reading it back. One current submission per (homework, student); each
// resubmission first copies the current one, grade included, into submission_versions.
import { writableClass } from '../classes/service.ts';
import { attachResolved, resolveAttachments } from '../content/attachments.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { schoolClock } from '../content/school-time.ts';
import { courseActivity } from '../courses/progress.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { type Homework, Submission, SubmissionVersion } from './model.ts';
import { closesAt, homeworkState, presentDetail, presentSubmission } from './present.ts';
import { type RosterRow, roster } from './roster.ts';
import type { SubmissionDetailView, SubmissionState, SubmissionView, SubmitInput } from './schema.ts';
import { findHomework } from './service.ts';

/** Turn-ins per student per homework: keeps the history a student reads in one answer bounded. */
export const MAX_VERSIONS = 50;

export async function listSubmissions(scope: Scope, homeworkId: string, page: PageQuery & { status?: SubmissionState }): Promise<Page<SubmissionView>> {
  const homework = await findHomework(scope, homeworkId);
  const rows = await paginate<RosterRow>(roster(scope, homework, 'read', { state: page.status }), page, {
    sort: 'submissions.sort_name',
    id: 'submissions.student_id',
    sortOf: (r) => r.sort_name,
    idOf: (r) => r.student_id,
  });
  return { next_cursor: rows.next_cursor, data: rows.data.map((r) => presentSubmission(scope, homework, r)) };
}

/** How many students a homework's roster has (as this person may read it), how many have handed
 * in, and how many carry a draft grade not yet returned: one query, whatever the class's size. */
export async function rosterCounts(scope: Scope, homeworkId: string): Promise<{ total: number; turnedIn: number; toReturn: number }> {
  const homework = await findHomework(scope, homeworkId);
  const row = (await scope.db
    .from(roster(scope, homework, 'read').as('r'))
    .select(
      scope.db.raw('count(*)::int as total'),
      scope.db.raw(`(count(*) filter (where r.state not in ('assigned', 'missing')))::int as "turnedIn"`),
      scope.db.raw(`(count(*) filter (where r.state = 'graded'))::int as "toReturn"`),
    )
    .first()) as { total: number; turnedIn: number; toReturn: number };
  return row;
}

/** A student's place in the roster (in the list's order: last name, first name) and the students
 * before and after: one query, so previous/next work past the first page of the list. */
export async function rosterPlace(
  scope: Scope,
  homeworkId: string,
  studentId: string,
): Promise<{ previous: string | undefined; next: string | undefined; position: number; total: number }> {
  const homework = await findHomework(scope, homeworkId);
  const order = 'over (order by r.sort_name, r.student_id)';
  const placed = scope.db
    .from(roster(scope, homework, 'read').as('r'))
    .select(
      'r.student_id',
      scope.db.raw(`lag(r.student_id) ${order} as previous`),
      scope.db.raw(`lead(r.student_id) ${order} as next`),
      scope.db.raw(`(row_number() ${order})::int as position`),
      scope.db.raw('(count(*) over ())::int as total'),
    );
  const row = (await scope.db.from(placed.as('p')).where('p.student_id', studentId).first()) as
    | { previous: string | null; next: string | null; position: number; total: number }
    | undefined;
  if (!row) return { previous: undefined, next: undefined, position: 0, total: 0 };
  return { previous: row.previous ?? undefined, next: row.next ?? undefined, position: row.position, total: row.total };
}

/** One student's work with its history, if the Submission rules let this person read it. */
export async function readSubmission(scope: Scope, homeworkId: string, studentId: string): Promise<SubmissionDetailView> {
  const homework = await findHomework(scope, homeworkId);
  return detail(scope, homework, studentId);
}

async function detail(scope: Scope, homework: Homework, studentId: string): Promise<SubmissionDetailView> {
  const row = (await roster(scope, homework, 'read', { studentIds: [studentId] }).first()) as RosterRow | undefined;
  if (!row) throw notFound('That student’s work for this homework');
  const history = row.id ? await SubmissionVersion.query(scope.db).where({ submission_id: row.id }).orderBy('version', 'desc') : [];
  return presentDetail(scope, homework, row, history);
}

export async function readOwnSubmission(scope: Scope, homeworkId: string): Promise<SubmissionDetailView> {
  const me = actorUserId(scope.actor);
  if (!me) throw notFound('Your work for this homework');
  return readSubmission(scope, homeworkId, me);
}

/** Turns work in, or in again: open until due_at, then (flagged late) until late_until. */
export async function submitWork(scope: Scope, homeworkId: string, input: SubmitInput): Promise<SubmissionDetailView> {
  const me = actorUserId(scope.actor);
  const homework = await findHomework(scope, homeworkId);
  if (scope.ability.cannot('submit', 'Submission')) throw forbidden('Only the students this homework is set for hand work in.');
  // Students read their class; archived classes keep their work readable but take no more.
  await writableClass(scope, homework.class_id, 'read');
  const mine = me ? ((await roster(scope, homework, 'submit', { studentIds: [me] }).first()) as RosterRow | undefined) : undefined;
  if (!me || !mine) throw notFound('Your work for this homework');
  const at = now(scope);
  assertOpen(scope, homework, at);
  const late = at > new Date(homework.due_at);
  // Locked so two quick resubmissions cannot both become the same version.
  const current = await Submission.query(scope.db).findOne({ homework_id: homework.id, student_id: me }).forUpdate();
  const target = { kind: 'submission' as const, classId: homework.class_id, ...(current ? { id: current.id } : {}) };
  const attachments = await resolveAttachments(scope, input.attachments ?? [], target, 'attachments');
  const content = { body: input.body ?? null, attachments: attachments.stored, submitted_at: at, late, status: 'turned_in' as const, updated_at: at };
  let submissionId = current?.id;
  if (!current) {
    submissionId = (
      await Submission.query(scope.db).insertAndFetch({
        tenant_id: scope.tenant.id,
        homework_id: homework.id,
        student_id: me,
        class_id: homework.class_id,
        ...content,
        version: 1,
        created_at: at,
      })
    ).id;
  } else {
    if (current.version >= MAX_VERSIONS) {
      throw conflict(`You have turned this homework in ${MAX_VERSIONS} times, the most it keeps. Ask your teacher if something needs changing.`);
    }
    // A teacher's grade or return without any work (version 0) is history worth keeping too.
    if (current.version > 0 || current.returned_at) await keepVersion(scope, current, at);
    await Submission.query(scope.db)
      .patch({ ...content, version: current.version + 1 })
      .where({ id: current.id });
  }
  // Files of earlier versions stay attached to the submission: its history still shows them.
  if (submissionId) await attachResolved(scope, attachments, { kind: 'submission', id: submissionId, classId: homework.class_id });
  // Handing in may complete a lesson, and so the course (a certificate): api/courses/progress.ts.
  await courseActivity(scope, homework.class_id, me);
  return detail(scope, homework, me);
}

function assertOpen(scope: Scope, homework: Homework, at: Date): void {
  if (homeworkState(homework, at) !== 'published') throw conflict('This homework is not published yet.');
  const closes = closesAt(homework);
  if (at > closes) {
    const lateNote = homework.late_until ? ' (including late work)' : '';
    throw conflict(`This homework stopped accepting work${lateNote} at ${schoolClock(scope, closes)} school time. Ask your teacher if you need more time.`, {
      closes_at: closes.toISOString(),
    });
  }
}

async function keepVersion(scope: Scope, s: Submission, at: Date): Promise<void> {
  await SubmissionVersion.query(scope.db).insert({
    tenant_id: scope.tenant.id,
    submission_id: s.id,
    version: s.version,
    status: s.status,
    body: s.body,
    attachments: s.attachments,
    submitted_at: s.submitted_at,
    late: s.late,
    score: s.score,
    feedback: s.feedback,
    graded_at: s.graded_at,
    returned_at: s.returned_at,
    graded_by: s.graded_by,
    replaced_at: at,
  });
}
