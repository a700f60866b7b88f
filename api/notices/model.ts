import type { Knex } from 'knex';
import { Model } from 'objection';
import type { FieldMap, FieldSql } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';
import { now, type Scope } from '../scope.ts';

export type NoticeStatus = 'draft' | 'scheduled' | 'published';

export class Notice extends Model {
  static override tableName = 'notices';
  static override jsonAttributes = ['attachments'];
  declare tenant_id: string;
  declare id: string;
  /** null: school-wide. */
  declare class_id: string | null;
  declare title: string;
  declare body: string;
  declare important: boolean;
  declare pinned: boolean;
  /** Links and uploaded files (api/content/attachments.ts). */
  declare attachments: unknown;
  declare publish_at: Date | null;
  declare fanned_out_at: Date | null;
  declare created_by: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

/** Derived, never stored: a scheduled notice publishes itself when the clock passes publish_at. */
export function noticeStatus(scope: Pick<Scope, 'clock'>, publishAt: Date | null): NoticeStatus {
  if (publishAt === null) return 'draft';
  return new Date(publishAt) > now(scope) ? 'scheduled' : 'published';
}

/** A boolean rule field that is a SQL condition on the row (`{ published: true }`). */
function condition(sql: string, bindings: Knex.Value[] = []): FieldSql {
  return (qb, operator, value) => {
    if (operator !== 'eq' && operator !== 'ne') throw new Error(`boolean rule fields support eq and ne, got ${operator}`);
    const wanted = (operator === 'eq') === (value === true);
    qb.whereRaw(wanted ? `(${sql})` : `not coalesce((${sql}), false)`, bindings);
  };
}

/** A boolean rule field with a fixed value, for rows that do not exist yet. */
function constant(flag: boolean): FieldSql {
  return condition(flag ? 'true' : 'false');
}

/** SQL for the rule fields in api/notices/rules.ts. Per scope, because "published" depends on
 * the scope's clock: `teacherIds`/`studentIds`/`guardianIds` (members of the notice's class;
 * never true for school-wide notices), `schoolWide` (class_id is null), `published`. */
export function noticeFields(scope: Pick<Scope, 'clock'>) {
  return {
    ...classMemberFields('notices'),
    schoolWide: condition('notices.class_id is null'),
    published: condition('notices.publish_at is not null and notices.publish_at <= ?', [now(scope)]),
  } satisfies FieldMap;
}

/** The notice rule fields; the two maps below are typed to the same keys. */
export type NoticeField = keyof ReturnType<typeof noticeFields>;

/** The same rules for a notice about to be created in the class `classes.id`: "may this person
 * post a notice in class X?". Rules that need it published ask about a notice that is not. */
export const NOTICE_FIELDS_ON_CLASS: Record<NoticeField, FieldSql> = {
  ...classMemberFields('classes', 'classes.id'),
  schoolWide: constant(false),
  published: constant(false),
};

/** The same rules for a school-wide notice about to be created: no class, so no class member. */
const nobody: FieldSql = (qb) => qb.whereRaw('false');
export const NOTICE_FIELDS_SCHOOL_WIDE: Record<NoticeField, FieldSql> = {
  teacherIds: nobody,
  studentIds: nobody,
  guardianIds: nobody,
  schoolWide: constant(true),
  published: constant(false),
};
