import { Model } from 'objection';
import { column, existsWhere, type FieldMap } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';

export class Course extends Model {
  static override tableName = 'courses';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare title: string | null;
  declare pass_percent: number | null;
  declare certificates: boolean;
  declare version: number;
  declare created_at: Date;
  declare updated_at: Date;
}

export class CourseUnit extends Model {
  static override tableName = 'course_units';
  declare tenant_id: string;
  declare id: string;
  declare course_id: string;
  declare class_id: string;
  declare position: number;
  declare title: string;
  declare summary: string;
  declare publish_at: Date | null;
  declare gate_quiz_id: string | null;
  declare gate_percent: number | null;
  declare version: number;
  declare created_at: Date;
  declare updated_at: Date;
}

export class CourseLesson extends Model {
  static override tableName = 'course_lessons';
  static override jsonAttributes = ['attachments'];
  declare tenant_id: string;
  declare id: string;
  declare unit_id: string;
  declare class_id: string;
  declare position: number;
  declare title: string;
  declare body: string;
  declare attachments: unknown;
  declare video_url: string | null;
  declare video_embed_url: string | null;
  declare estimated_minutes: number | null;
  declare homework_id: string | null;
  declare quiz_id: string | null;
  declare pass_percent: number | null;
  declare publish_at: Date | null;
  declare prerequisite_lesson_id: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export class Certificate extends Model {
  static override tableName = 'certificates';
  declare tenant_id: string;
  declare id: string;
  declare course_id: string;
  declare class_id: string;
  declare student_id: string;
  declare code: string;
  declare student_name: string;
  declare course_title: string;
  declare issued_at: Date;
  declare file_id: string | null;
  declare revoked_at: Date | null;
  declare revoked_by: string | null;
  declare revoke_reason: string | null;
  declare created_at: Date;
}

/** Course rules over the class row itself (`classes`): who may read or build a class's course. */
export const COURSE_FIELDS_ON_CLASS = classMemberFields('classes', 'classes.id');

/** CourseProgress rules over a class's student roster (`enrollments as roster`): one row per
 * enrolled student, so "whose progress may I see" is one query. */
export const PROGRESS_FIELDS = {
  studentId: column('roster.user_id'),
  ...classMemberFields('roster'),
  guardianOf: existsWhere('select 1 from guardian_links g where g.tenant_id = roster.tenant_id and g.student_id = roster.user_id and g.guardian_id = ?'),
} satisfies FieldMap;

export const CERTIFICATE_FIELDS = {
  studentId: column('certificates.student_id'),
  ...classMemberFields('certificates'),
  guardianOf: existsWhere(
    'select 1 from guardian_links g where g.tenant_id = certificates.tenant_id and g.student_id = certificates.student_id and g.guardian_id = ?',
  ),
} satisfies FieldMap;
