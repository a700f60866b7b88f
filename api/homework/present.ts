// Rows → what a person may see. Grades are the delicate part: a teacher's grade is a draft until
// returned, so students and guardians see a score and feedback only on returned work.
import { presentAttachments } from '../content/attachments.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { schoolClock } from '../content/school-time.ts';
import { now, type Scope } from '../scope.ts';
import type { Homework, SubmissionStatus, SubmissionVersion } from './model.ts';
import type { RosterRow } from './roster.ts';
import type { HomeworkState, HomeworkView, SubmissionDetailView, SubmissionVersionView, SubmissionView } from './schema.ts';

const iso = (at: Date | string) => new Date(at).toISOString();
const isoOrNull = (at: Date | string | null) => (at === null ? null : iso(at));
const numberOrNull = (value: string | number | null) => (value === null ? null : Number(value));

export function homeworkState(h: Pick<Homework, 'publish_at'>, at: Date): HomeworkState {
  if (h.publish_at === null) return 'draft';
  return new Date(h.publish_at) > at ? 'scheduled' : 'published';
}

/** When the homework stops accepting work. */
export function closesAt(h: Pick<Homework, 'due_at' | 'late_until'>): Date {
  return new Date(h.late_until ?? h.due_at);
}

/** Whether this person sees draft grades and who graded: those who may grade. */
export const seesDraftGrades = (scope: Scope) => scope.ability.can('grade', 'Submission');

/** `assigneeIds`: the chosen students, shown only to those who manage the homework. */
export function presentHomework(scope: Scope, h: Homework, assigneeIds: string[] | null): HomeworkView {
  const manages = scope.ability.can('update', 'Homework');
  return {
    id: h.id,
    class_id: h.class_id,
    title: h.title,
    instructions: h.instructions,
    instructions_html: renderMarkdown(h.instructions),
    points: numberOrNull(h.points),
    due_at: iso(h.due_at),
    due_at_local: schoolClock(scope, h.due_at) as string,
    late_until: isoOrNull(h.late_until),
    late_until_local: schoolClock(scope, h.late_until),
    publish_at: isoOrNull(h.publish_at),
    publish_at_local: schoolClock(scope, h.publish_at),
    status: homeworkState(h, now(scope)),
    assign_to_all: h.assign_to_all,
    assignee_ids: manages && !h.assign_to_all ? (assigneeIds ?? []) : null,
    attachments: presentAttachments(h.attachments),
    created_by: h.created_by,
    created_at: iso(h.created_at),
    updated_at: iso(h.updated_at),
  };
}

export function presentSubmission(scope: Scope, h: Homework, row: RosterRow): SubmissionView {
  const drafts = seesDraftGrades(scope);
  const gradeVisible = drafts || row.status === 'returned';
  return {
    id: row.id,
    homework_id: h.id,
    student: { id: row.student_id, first_name: row.first_name, last_name: row.last_name },
    status: row.state,
    late: row.late ?? false,
    body: row.body,
    body_html: renderMarkdown(row.body),
    attachments: presentAttachments(row.attachments),
    submitted_at: isoOrNull(row.submitted_at),
    submitted_at_local: schoolClock(scope, row.submitted_at),
    version: row.version ?? 0,
    points: numberOrNull(h.points),
    score: gradeVisible ? numberOrNull(row.score) : null,
    feedback: gradeVisible ? row.feedback : null,
    returned_at: isoOrNull(row.returned_at),
    graded_at: drafts ? isoOrNull(row.graded_at) : null,
    graded_by: drafts ? row.graded_by : null,
  };
}

export function presentVersion(scope: Scope, v: SubmissionVersion): SubmissionVersionView {
  const drafts = seesDraftGrades(scope);
  const gradeVisible = drafts || v.status === 'returned';
  const status: SubmissionStatus = drafts || v.status === 'returned' ? v.status : 'turned_in';
  return {
    version: v.version,
    status,
    body: v.body,
    body_html: renderMarkdown(v.body),
    attachments: presentAttachments(v.attachments),
    submitted_at: isoOrNull(v.submitted_at),
    late: v.late,
    score: gradeVisible ? numberOrNull(v.score) : null,
    feedback: gradeVisible ? v.feedback : null,
    returned_at: isoOrNull(v.returned_at),
    replaced_at: iso(v.replaced_at),
  };
}

export function presentDetail(scope: Scope, h: Homework, row: RosterRow, history: SubmissionVersion[]): SubmissionDetailView {
  const closes = closesAt(h);
  return {
    ...presentSubmission(scope, h, row),
    closes_at: closes.toISOString(),
    closes_at_local: schoolClock(scope, closes) as string,
    open: homeworkState(h, now(scope)) === 'published' && now(scope) <= closes,
    history: history.map((v) => presentVersion(scope, v)),
  };
}
