import { Model } from 'objection';
import { column, existsWhere, type FieldMap } from '../access/query.ts';

/** A guardian (parent, carer) linked to a student of the same school. */
export class GuardianLink extends Model {
  static override tableName = 'guardian_links';
  declare tenant_id: string;
  declare id: string;
  declare guardian_id: string;
  declare student_id: string;
  declare relationship: string | null;
  declare created_at: Date;
}

/** SQL for the rule fields in api/guardians/rules.ts. */
export const GUARDIAN_LINK_FIELDS = {
  guardianId: column('guardian_links.guardian_id'),
  // The linked student is enrolled in a class the given user teaches.
  studentTaughtBy: existsWhere(`
    select 1 from enrollments s
    join enrollments t on t.tenant_id = s.tenant_id and t.class_id = s.class_id and t.role = 'teacher'
    where s.tenant_id = guardian_links.tenant_id and s.user_id = guardian_links.student_id and s.role = 'student' and t.user_id = ?`),
} satisfies FieldMap;
