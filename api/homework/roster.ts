// One row per student a homework is assigned to (enrolled in its class, and chosen if it is not
// for the whole class), with their submission when they have one. The roster is aliased as
// `submissions` and has the rule fields' columns, so the Submission rules filter it exactly as
// they filter the table: a teacher sees every row including missing work, a student their own,
// a guardian their linked students'.
import type { Knex } from 'knex';
import type { Action } from '../access/ability.ts';
import { accessibleBy } from '../access/query.ts';
import { now, type Scope } from '../scope.ts';
import { type Homework, SUBMISSION_FIELDS, type SubmissionStatus } from './model.ts';
import { seesDraftGrades } from './present.ts';
import type { SubmissionState } from './schema.ts';

export type RosterRow = {
  student_id: string;
  first_name: string;
  last_name: string;
  sort_name: string;
  /** The status as this viewer sees it (schema SUBMISSION_STATES). */
  state: SubmissionState;
  // The submission's columns; null when the student has none.
  id: string | null;
  status: SubmissionStatus | null;
  body: string | null;
  attachments: unknown;
  submitted_at: Date | null;
  late: boolean | null;
  score: string | null;
  feedback: string | null;
  graded_at: Date | null;
  returned_at: Date | null;
  graded_by: string | null;
  version: number | null;
};

/** The status as the viewer sees it, in SQL so lists can filter on it. Bindings: now, due_at.
 * Those who grade see draft grades (`graded`); for everyone else work stays turned in (or
 * assigned / missing) until it is returned. */
function stateSql(drafts: boolean): string {
  const unsubmitted = `case when ?::timestamptz > ?::timestamptz then 'missing' else 'assigned' end`;
  return drafts
    ? `coalesce(s.status, ${unsubmitted})`
    : `case when s.status = 'returned' then 'returned' when s.submitted_at is not null then 'turned_in' else ${unsubmitted} end`;
}

export function roster(scope: Scope, h: Homework, action: Action, filter: { state?: SubmissionState; studentIds?: string[] } = {}): Knex.QueryBuilder {
  const db = scope.db;
  const assigned = db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .where({ 'e.class_id': h.class_id, 'e.role': 'student' })
    .select(
      'e.tenant_id',
      'e.class_id',
      'e.user_id as student_id',
      'u.first_name',
      'u.last_name',
      db.raw(`lower(u.last_name || ' ' || u.first_name) as sort_name`),
    );
  if (!h.assign_to_all) {
    assigned.whereExists(
      db('homework_assignees as a').select(db.raw('1')).whereRaw('a.tenant_id = e.tenant_id and a.student_id = e.user_id').andWhere('a.homework_id', h.id),
    );
  }
  if (filter.studentIds) assigned.whereIn('e.user_id', filter.studentIds);
  const state = stateSql(seesDraftGrades(scope));
  const bindings = [now(scope), h.due_at];
  const query = db
    .from(assigned.as('submissions'))
    .leftJoin('submissions as s', (j) =>
      j.on('s.tenant_id', 'submissions.tenant_id').andOn('s.student_id', 'submissions.student_id').andOnVal('s.homework_id', h.id),
    )
    .select(
      'submissions.student_id',
      'submissions.first_name',
      'submissions.last_name',
      'submissions.sort_name',
      db.raw(`${state} as state`, bindings),
      ...['id', 'status', 'body', 'attachments', 'submitted_at', 'late', 'score', 'feedback', 'graded_at', 'returned_at', 'graded_by', 'version'].map(
        (c) => `s.${c}`,
      ),
    )
    .modify(accessibleBy(scope.ability, action, 'Submission', SUBMISSION_FIELDS));
  if (filter.state) query.whereRaw(`${state} = ?`, [...bindings, filter.state]);
  return query;
}
