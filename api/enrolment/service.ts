// Offerings (one per class), the school's catalogue, and self-enrolment. A place is taken under a
// row lock on the offering: the count of students plus places held by unfinished payments is
// read after the lock, so concurrent enrolments cannot pass the cap. Paid enrolment holds a
// place here and is completed by the Stripe webhook (api/enrolment/payments.ts).
import type { Knex } from 'knex';
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { Enrollment } from '../classes/model.ts';
import { writableClass } from '../classes/service.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { AppError, conflict, forbidden, invalid } from '../errors.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { offeringFields } from './model.ts';
import type { OfferingInput, OfferingState } from './schema.ts';

export type OfferingRow = {
  id: string;
  class_id: string;
  self_enrol: boolean;
  opens_at: Date | null;
  closes_at: Date | null;
  cap: number | null;
  price_amount: number | null;
  currency: string | null;
  name: string;
  subject: string | null;
  description: string | null;
  archived_at: Date | null;
  /** Students enrolled plus places held by unexpired pending payments. */
  taken: number;
  you_enrolled: boolean;
  you_pending: boolean;
};

/** How long a pending payment holds its place; Stripe's Checkout expires a minute sooner. */
export const HOLD_MINUTES = 31;

function offerings(scope: Scope, action: Action): Knex.QueryBuilder {
  const db = scope.db;
  const at = now(scope);
  const me = actorUserId(scope.actor) ?? null;
  const same = 'x.tenant_id = course_offerings.tenant_id and x.class_id = course_offerings.class_id';
  return db('course_offerings')
    .join('classes', (j) => j.on('classes.tenant_id', 'course_offerings.tenant_id').andOn('classes.id', 'course_offerings.class_id'))
    .modify(accessibleBy(scope.ability, action, 'Offering', offeringFields(at)))
    .select(
      'course_offerings.id',
      'course_offerings.class_id',
      'course_offerings.self_enrol',
      'course_offerings.opens_at',
      'course_offerings.closes_at',
      'course_offerings.cap',
      'course_offerings.price_amount',
      'course_offerings.currency',
      'classes.name',
      'classes.subject',
      'classes.description',
      'classes.archived_at',
      db.raw(
        `((select count(*) from enrollments x where ${same} and x.role = 'student')
          + (select count(*) from course_payments x where ${same} and x.status = 'pending' and x.expires_at > ?))::int as taken`,
        [at],
      ),
      db.raw(`exists (select 1 from enrollments x where ${same} and x.user_id = ?) as you_enrolled`, [me]),
      db.raw(`exists (select 1 from course_payments x where ${same} and x.user_id = ? and x.status = 'pending' and x.expires_at > ?) as you_pending`, [me, at]),
    );
}

export function offeringState(row: OfferingRow, at: Date): OfferingState {
  if (!row.self_enrol || row.archived_at) return 'not_offered';
  if (row.opens_at && new Date(row.opens_at) > at) return 'not_open_yet';
  if (row.closes_at && new Date(row.closes_at) <= at) return 'closed';
  if (row.cap !== null && row.taken >= row.cap) return 'full';
  return 'open';
}

/** The catalogue: offerings open for self-enrolment (or opening later), by class name; `q` searches
 * the classes' full-text index (the search feature's, in the school's language). */
export async function listCatalogue(scope: Scope, page: PageQuery & { q?: string | undefined }): Promise<Page<OfferingRow>> {
  const query = offerings(scope, 'read');
  offeringFields().listed?.(query, 'eq', true);
  query.where((q: Knex.QueryBuilder) => q.whereNull('course_offerings.closes_at').orWhere('course_offerings.closes_at', '>', now(scope)));
  if (page.q) query.whereRaw('classes.search @@ websearch_to_tsquery(edify_search_config(?::uuid), ?)', [scope.tenant.id, page.q]);
  return paginate<OfferingRow>(query, page, { sort: 'classes.name', id: 'classes.id', sortOf: (r) => r.name, idOf: (r) => r.class_id });
}

/** One offering by its class, if the person may `action` it (404 otherwise, 403 when visible). */
export function findOffering(scope: Scope, classId: string, action: Action = 'read'): Promise<OfferingRow> {
  return findAccessible(action, async (a) => (await offerings(scope, a).where('course_offerings.class_id', classId).first()) as OfferingRow | undefined, {
    what: 'The course',
    cannot: 'You can see this course but not do that.',
  });
}

/** Sets (creates or changes) the class's offering: teachers of the class and admins. */
export async function setOffering(scope: Scope, classId: string, input: OfferingInput): Promise<OfferingRow> {
  if (scope.ability.cannot('update', 'Offering')) throw forbidden('Only the class’s teachers and admins set its offering.');
  await writableClass(scope, classId, 'update');
  if (input.price_amount != null && !(await connectedAccount(scope))) {
    throw invalid(
      [{ in: 'body', field: 'price_amount', message: 'the school has no Stripe account connected for course payments' }],
      'Ask a school admin to connect the school’s Stripe account before setting a price.',
    );
  }
  const fields = {
    self_enrol: input.self_enrol,
    opens_at: input.opens_at ?? null,
    closes_at: input.closes_at ?? null,
    cap: input.cap ?? null,
    price_amount: input.price_amount ?? null,
    currency: input.currency ?? null,
    updated_at: now(scope),
  };
  await scope
    .db('course_offerings')
    .insert({ tenant_id: scope.tenant.id, class_id: classId, ...fields })
    .onConflict(['tenant_id', 'class_id'])
    .merge(fields);
  await audit(scope, 'offering.updated', { type: 'class', id: classId }, { ...fields, updated_at: undefined });
  return findOffering(scope, classId);
}

export async function connectedAccount(scope: Scope): Promise<string | null> {
  const row = await scope.db('tenants').where({ id: scope.tenant.id }).first('stripe_account_id');
  return row?.stripe_account_id ?? null;
}

/** Locks the offering (one enrolment at a time per class), then reads it fresh and checks that
 * the person may take a place now. */
async function lockForEnrolment(scope: Scope, classId: string): Promise<{ row: OfferingRow; userId: string }> {
  const userId = actorUserId(scope.actor);
  if (!userId || scope.ability.cannot('join', 'Offering')) throw forbidden('Only students enrol themselves in courses.');
  await scope.db('course_offerings').where({ class_id: classId }).forUpdate().first('id');
  const row = await findOffering(scope, classId, 'join');
  if (row.you_enrolled) throw conflict('You are already enrolled in this course.', { reason: 'already_enrolled' });
  const at = now(scope);
  const state = offeringState(row, at);
  if (state === 'not_open_yet') throw conflict(`Enrolment opens on ${new Date(row.opens_at as Date).toISOString()}.`, { reason: state });
  if (state === 'closed') throw conflict('Enrolment for this course has closed.', { reason: state });
  if (state === 'full' && !row.you_pending) throw conflict('This course is full.', { reason: state });
  if (state === 'not_offered') throw conflict('This course is not open for enrolment.', { reason: state });
  return { row, userId };
}

/** Free self-enrolment: the student joins the class roster. */
export async function enrol(scope: Scope, classId: string): Promise<OfferingRow> {
  const { row, userId } = await lockForEnrolment(scope, classId);
  if (row.price_amount !== null) throw conflict('This course has a price: pay for it through checkout.', { reason: 'payment_required' });
  await Enrollment.query(scope.db).insert({ tenant_id: scope.tenant.id, class_id: classId, user_id: userId, role: 'student' });
  await audit(scope, 'enrolment.self_enrolled', { type: 'class', id: classId }, { user_id: userId });
  return findOffering(scope, classId);
}

export type Hold = {
  paymentId: string;
  existingUrl: string | null;
  amount: number;
  currency: string;
  name: string;
  expiresAt: Date;
  userId: string;
  email: string;
};

/** Paid enrolment, step one (in the request's transaction): hold a place for HOLD_MINUTES.
 * Returns the hold, or the learner's unfinished checkout to send them back to. */
export async function holdPlace(scope: Scope, classId: string): Promise<Hold> {
  const { row, userId } = await lockForEnrolment(scope, classId);
  if (row.price_amount === null || row.currency === null) throw conflict('This course is free: enrol directly.', { reason: 'free' });
  if (!(await connectedAccount(scope))) throw new AppError('unavailable', 'This school does not take course payments yet.');
  const at = now(scope);
  const email = scope.actor.type === 'user' ? scope.actor.user.email : '';
  const pending = await scope
    .db('course_payments')
    .where({ class_id: classId, user_id: userId, status: 'pending' })
    .where('expires_at', '>', at)
    .orderBy('created_at', 'desc')
    .first('id', 'checkout_url', 'amount', 'currency', 'expires_at');
  if (pending) {
    return {
      paymentId: pending.id,
      existingUrl: pending.checkout_url,
      amount: pending.amount,
      currency: pending.currency,
      name: row.name,
      expiresAt: pending.expires_at,
      userId,
      email,
    };
  }
  const expiresAt = new Date(at.getTime() + HOLD_MINUTES * 60_000);
  const [created] = await scope
    .db('course_payments')
    .insert({ tenant_id: scope.tenant.id, class_id: classId, user_id: userId, amount: row.price_amount, currency: row.currency, expires_at: expiresAt })
    .returning('id');
  await audit(scope, 'enrolment.checkout_started', { type: 'class', id: classId }, { user_id: userId, payment_id: created.id });
  return { paymentId: created.id, existingUrl: null, amount: row.price_amount, currency: row.currency, name: row.name, expiresAt, userId, email };
}

/** A learner's payment for the page Checkout returns to. */
export async function myPayment(scope: Scope, classId: string, paymentId: string | undefined) {
  const userId = actorUserId(scope.actor);
  const query = scope.db('course_payments').where({ class_id: classId, user_id: userId ?? null });
  if (paymentId) query.where({ id: paymentId });
  return (await query.orderBy('created_at', 'desc').first('id', 'status', 'amount', 'currency', 'paid_at')) as
    | { id: string; status: string; amount: number; currency: string; paid_at: Date | null }
    | undefined;
}

/** Admins connect the school's Stripe account (Connect) that course payments go to. */
export async function setConnectedAccount(scope: Scope, accountId: string | null): Promise<void> {
  if (scope.ability.cannot('manage', 'CoursePayment')) throw forbidden('Only school admins connect a payment account.');
  const taken = accountId ? await scope.db('tenants').where({ stripe_account_id: accountId }).whereNot({ id: scope.tenant.id }).first('id') : undefined;
  if (taken) throw conflict('That Stripe account is connected to another school.');
  await scope.db('tenants').where({ id: scope.tenant.id }).update({ stripe_account_id: accountId });
  await audit(scope, 'course_payments.account_set', { type: 'tenant', id: scope.tenant.id }, { stripe_account_id: accountId });
}

/** The teachers of offered classes, for the catalogue's cards (a course's teachers are part of
 * what it offers, so everyone who may read the offering sees their names, never their emails).
 * Pass only class ids the person may read. */
export async function offeringTeachers(scope: Scope, classIds: string[]): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>(classIds.map((id) => [id, []]));
  if (classIds.length === 0) return names;
  const rows = await scope
    .db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .whereIn('e.class_id', classIds)
    .where('e.role', 'teacher')
    .whereNot('u.status', 'deactivated')
    .orderBy(['u.last_name', 'u.first_name', 'u.id'])
    .select('e.class_id', 'u.first_name', 'u.last_name');
  for (const row of rows) names.get(row.class_id)?.push(`${row.first_name} ${row.last_name}`);
  return names;
}
