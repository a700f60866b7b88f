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

const member = (role: 'teacher' | 'student') =>
  existsWhere(`select 1 from enrollments e where e.tenant_id = classes.tenant_id and e.class_id = classes.id and e.role = '${role}' and e.user_id = ?`);

/** SQL for the rule fields in api/classes/rules.ts. */
export const CLASS_FIELDS: FieldMap = {
  id: column('classes.id'),
  teacherIds: member('teacher'),
  studentIds: member('student'),
};
