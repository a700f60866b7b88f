import { Model } from 'objection';
import { column, existsWhere, type FieldMap } from '../access/query.ts';
import type { Role } from '../scope.ts';

export class User extends Model {
  static override tableName = 'users';
  declare tenant_id: string;
  declare id: string;
  declare email: string;
  declare first_name: string;
  declare last_name: string;
  declare role: Role;
  declare status: 'invited' | 'active' | 'deactivated';
  declare password_hash: string | null;
  declare last_login_at: Date | null;
  declare password_changed_at: Date | null;
  declare created_at: Date;
  declare updated_at: Date;
}

/** SQL for the rule fields in api/users/rules.ts. */
export const USER_FIELDS = {
  id: column('users.id'),
  role: column('users.role'),
  // The user is a student in a class that the given user teaches.
  taughtBy: existsWhere(`
    select 1 from enrollments s
    join enrollments t on t.tenant_id = s.tenant_id and t.class_id = s.class_id and t.role = 'teacher'
    where s.tenant_id = users.tenant_id and s.user_id = users.id and s.role = 'student' and t.user_id = ?`),
  // The user is a student linked to the given guardian.
  guardedBy: existsWhere('select 1 from guardian_links g where g.tenant_id = users.tenant_id and g.student_id = users.id and g.guardian_id = ?'),
} satisfies FieldMap;
