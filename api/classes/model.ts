import { Model } from 'objection';
import { column, existsWhere, type FieldMap } from '../access/query.ts';

export class Class extends Model {
  static override tableName = 'classes';
  declare tenant_id: string;
  declare id: string;
  declare name: string;
  declare subject: string | null;
  declare grade_level: string | null;
  declare description: string | null;
  declare term_start: string | null;
  declare term_end: string | null;
  declare join_code: string;
  declare join_code_enabled: boolean;
  declare archived_at: Date | null;
  /** Gradebook category weights (api/gradebook/), null: every point counts the same. */
  declare grade_weights: unknown;
  declare created_at: Date;
  declare updated_at: Date;
}

export class Enrollment extends Model {
  static override tableName = 'enrollments';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare user_id: string;
  declare role: 'teacher' | 'student';
  declare created_at: Date;
}

/** Rule fields for membership of the class whose id is the SQL expression `classId` (on the row
 * being filtered): `teacherIds`, `studentIds`, and `guardianIds` (guardians of an enrolled
 * student). Every record that belongs to a class (homework, quizzes, notices, resources) maps
 * its rules with this, so "who is in the class" is decided in one place. */
export function classMemberFields(table: string, classId = `${table}.class_id`) {
  const member = (role: 'teacher' | 'student') =>
    existsWhere(`select 1 from enrollments e where e.tenant_id = ${table}.tenant_id and e.class_id = ${classId} and e.role = '${role}' and e.user_id = ?`);
  return {
    teacherIds: member('teacher'),
    studentIds: member('student'),
    guardianIds: existsWhere(
      `select 1 from enrollments e join guardian_links g on g.tenant_id = e.tenant_id and g.student_id = e.user_id where e.tenant_id = ${table}.tenant_id and e.class_id = ${classId} and e.role = 'student' and g.guardian_id = ?`,
    ),
  } satisfies FieldMap;
}

/** SQL for the rule fields in api/classes/rules.ts. */
export const CLASS_FIELDS = {
  id: column('classes.id'),
  ...classMemberFields('classes', 'classes.id'),
} satisfies FieldMap;
