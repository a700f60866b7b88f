import { Model } from 'objection';
import { column, type FieldMap } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';

export class Offering extends Model {
  static override tableName = 'course_offerings';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare self_enrol: boolean;
  declare opens_at: Date | null;
  declare closes_at: Date | null;
  declare cap: number | null;
  declare price_amount: number | null;
  declare currency: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export type PaymentStatus = 'pending' | 'paid' | 'refunded' | 'disputed' | 'expired';

export class CoursePayment extends Model {
  static override tableName = 'course_payments';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare user_id: string;
  declare checkout_session_id: string | null;
  declare checkout_url: string | null;
  declare payment_intent_id: string | null;
  declare amount: number;
  declare currency: string;
  declare application_fee: number;
  declare status: PaymentStatus;
  declare expires_at: Date;
  declare paid_at: Date | null;
  declare ended_at: Date | null;
  declare created_at: Date;
  declare updated_at: Date;
}

/** The join every offering query reads: an offering with its class (search reuses it over classes). */
export const OFFERING_JOIN = 'join course_offerings on course_offerings.tenant_id = classes.tenant_id and course_offerings.class_id = classes.id';

/** SQL for the rule fields in api/enrolment/rules.ts, over `course_offerings` joined with
 * `classes`. `listed`: open for self-enrolment and the class not archived (a closed offering
 * stays readable, so its page can say it closed; the catalogue leaves it out). */
export function offeringFields(_at?: Date) {
  return {
    classId: column('course_offerings.class_id'),
    ...classMemberFields('course_offerings'),
    listed: (qb, operator, value) => {
      if (operator !== 'eq') throw new Error(`listed supports equality only, got ${operator}`);
      const sql = '(course_offerings.self_enrol and classes.archived_at is null)';
      qb.whereRaw(value ? sql : `not ${sql}`);
    },
  } satisfies FieldMap;
}
