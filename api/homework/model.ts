import type { Knex } from 'knex';
import { Model } from 'objection';
import { column, existsWhere, type FieldMap, type FieldSql } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';

export class Homework extends Model {
  static override tableName = 'homework';
  static override jsonAttributes = ['attachments'];
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare title: string;
  declare instructions: string;
  /** numeric comes back from pg as a string. */
  declare points: string | null;
  declare due_at: Date;
  declare late_until: Date | null;
  declare publish_at: Date | null;
  declare assign_to_all: boolean;
  declare attachments: unknown;
  declare created_by: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export class HomeworkAssignee extends Model {
  static override tableName = 'homework_assignees';
  declare tenant_id: string;
  declare id: string;
  declare homework_id: string;
  declare student_id: string;
  declare created_at: Date;
}

export type SubmissionStatus = 'turned_in' | 'graded' | 'returned';

export class Submission extends Model {
  static override tableName = 'submissions';
  static override jsonAttributes = ['attachments'];
  declare tenant_id: string;
  declare id: string;
  declare homework_id: string;
  declare student_id: string;
  declare class_id: string;
  declare status: SubmissionStatus;
  declare body: string | null;
  declare attachments: unknown;
  declare submitted_at: Date | null;
  declare late: boolean;
  declare score: string | null;
  declare feedback: string | null;
  declare graded_at: Date | null;
  declare returned_at: Date | null;
  declare graded_by: string | null;
  declare version: number;
  declare created_at: Date;
  declare updated_at: Date;
}

export class SubmissionVersion extends Model {
  static override tableName = 'submission_versions';
  static override jsonAttributes = ['attachments'];
  declare tenant_id: string;
  declare id: string;
  declare submission_id: string;
  declare version: number;
  declare status: SubmissionStatus;
  declare body: string | null;
  declare attachments: unknown;
  declare submitted_at: Date | null;
  declare late: boolean;
  declare score: string | null;
  declare feedback: string | null;
  declare graded_at: Date | null;
  declare returned_at: Date | null;
  declare graded_by: string | null;
  declare replaced_at: Date;
}

// Whether a homework is assigned to the student whose id is the SQL expression `student`.
const assignedSql = (student: string) =>
  `(homework.assign_to_all or exists (select 1 from homework_assignees a where a.tenant_id = homework.tenant_id and a.homework_id = homework.id and a.student_id = ${student}))`;

function raw(sql: string): FieldSql {
  return (qb, operator, value) => {
    if (operator !== 'eq') throw new Error(`this rule field supports equality only, got ${operator}`);
    qb.whereRaw(sql, [value as Knex.Value]);
  };
}

/** SQL for the rule fields in api/homework/rules.ts. `published` depends on the time, so the map
 * is built per request from now(scope). */
export function homeworkFields(at: Date) {
  return {
    id: column('homework.id'),
    ...classMemberFields('homework'),
    published: (qb, operator, value) => {
      if (operator !== 'eq') throw new Error(`published supports equality only, got ${operator}`);
      if (value) qb.where('homework.publish_at', '<=', at);
      else qb.where((q: Knex.QueryBuilder) => q.whereNull('homework.publish_at').orWhere('homework.publish_at', '>', at));
    },
    assignedTo: raw(assignedSql('?')),
    // A linked student is enrolled in the class and the homework is assigned to them.
    assignedToChildOf: existsWhere(
      `select 1 from guardian_links g join enrollments e on e.tenant_id = g.tenant_id and e.user_id = g.student_id and e.role = 'student'
        where g.tenant_id = homework.tenant_id and e.class_id = homework.class_id and g.guardian_id = ? and ${assignedSql('g.student_id')}`,
    ),
  } satisfies FieldMap;
}

/** SQL for the rule fields in api/homework/rules.ts, over `submissions`: the table, or the
 * roster of assigned students aliased as `submissions` (api/homework/roster.ts), which has the
 * same tenant_id, class_id and student_id columns, so a missing student's row obeys the same rule. */
export const SUBMISSION_FIELDS = {
  studentId: column('submissions.student_id'),
  ...classMemberFields('submissions'),
  // The row's student is linked to the guardian and enrolled in the class.
  guardianOf: existsWhere(
    `select 1 from guardian_links g join enrollments e on e.tenant_id = g.tenant_id and e.user_id = g.student_id and e.role = 'student'
      where g.tenant_id = submissions.tenant_id and g.student_id = submissions.student_id and e.class_id = submissions.class_id and g.guardian_id = ?`,
  ),
} satisfies FieldMap;
