// Catalogue pages (issue #18 items 5-7): the school's catalogue of courses open for self-enrolment
// (search, one card per offering), an offering's page (Enrol for a free course, Pay for a priced
// one, or why not), the page Stripe Checkout returns to (what the payment's state really is), the
// offering form under a class (teachers and admins), and the school's connected Stripe account
// (admins). Everything goes through api/enrolment/ (the same services and rules as the API).
import { z } from 'zod';
import { findClass } from '../classes/service.ts';
import { schoolClock, schoolTimeInput, toInstant } from '../content/school-time.ts';
import { startCheckout } from '../enrolment/checkout.ts';
import { formatPrice, presentOffering } from '../enrolment/present.ts';
import { accountInput, type OfferingView, offeringInput } from '../enrolment/schema.ts';
import { connectedAccount, enrol, findOffering, listCatalogue, myPayment, offeringTeachers, setConnectedAccount, setOffering } from '../enrolment/service.ts';
import { AppError, notFound } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { formatWhen } from './render.ts';
import { phrase } from './words.ts';

const idParams = z.object({ id: z.uuid() });
const csrf = z.string().max(200).optional();
const CATALOGUE_PAGE = 24;
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/** What a card and the offering page show about an offering. */
function describe(view: OfferingView, teachers: string[] = []) {
  return {
    ...view,
    teachers: teachers.join(', '),
    priceText: view.price ? formatPrice(view.price.amount, view.price.currency) : phrase('catalogue.free'),
    placesText:
      view.places_left === null
        ? phrase('catalogue.no_cap')
        : view.places_left === 1
          ? phrase('catalogue.place_left')
          : phrase('catalogue.places_left', { n: view.places_left }),
    stateTag: view.state === 'open' ? 'good' : view.state === 'not_open_yet' ? 'warn' : 'bad',
    stateText: phrase(`catalogue.state.${view.state}`),
  };
}

async function offeringPage(scope: Scope, classId: string, extra: Record<string, unknown> = {}) {
  const view = presentOffering(scope, await findOffering(scope, classId));
  const teachers = (await offeringTeachers(scope, [classId])).get(classId) ?? [];
  const offering = describe(view, teachers);
  const student = scope.ability.can('join', 'Offering');
  return {
    title: view.name,
    current: '/catalogue',
    offering,
    // Students see a button only when it would work; otherwise the page says why not.
    canEnrol: student && view.you === 'none' && view.state === 'open' && !view.price,
    canPay: student && view.you === 'none' && view.state === 'open' && Boolean(view.price),
    continuePay: student && view.you === 'payment_pending',
    enrolledHere: view.you === 'enrolled',
    why:
      view.you === 'none' && view.state !== 'open'
        ? phrase(`catalogue.why.${view.state}`, { when: formatWhen(view.opens_at, scope.tenant.timezone) })
        : undefined,
    manages: scope.ability.can('update', 'Offering') && (await findOffering(scope, classId, 'update').then(() => true, refusedAsFalse)),
    ...extra,
  };
}

/** "May not change it" (403/404) is an answer; anything else is an error. */
function refusedAsFalse(error: unknown): false {
  if (error instanceof AppError && (error.status === 403 || error.status === 404)) return false;
  throw error;
}

/** A refusal from the enrolment service, as the offering page says it (409s carry a reason). */
function refusalText(error: AppError): string {
  const reason = typeof error.extra?.reason === 'string' ? error.extra.reason : undefined;
  const key = reason ? `catalogue.refused.${reason}` : undefined;
  const text = key ? phrase(key) : undefined;
  return text && text !== key ? text : error.message;
}

// ---- the offering form (teachers of the class, admins) -----------------------------------------

const offeringForm = z.object({
  _csrf: csrf,
  self_enrol: z.string().max(10).optional(),
  opens_at: z.string().max(100).optional(),
  closes_at: z.string().max(100).optional(),
  cap: z.string().max(20).optional(),
  price: z.string().max(30).optional(),
  currency: z.string().max(10).optional(),
});
type OfferingForm = z.infer<typeof offeringForm>;

const blank = (v: string | undefined) => v === undefined || v.trim() === '';

/** The posted form as the API's offering input, or the fields the page itself can already refuse. */
function offeringInputFromForm(scope: Scope, body: OfferingForm): { input: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const when = (field: 'opens_at' | 'closes_at') => {
    const v = body[field];
    if (blank(v)) return null;
    const local = (v as string).trim();
    if (!schoolTimeInput.safeParse(local).success) {
      errors[field] = phrase('offering.bad_time');
      return null;
    }
    return toInstant(scope, local).toISOString();
  };
  const currency = blank(body.price) ? null : (body.currency ?? '').trim().toLowerCase() || null;
  let price: number | null = null;
  if (!blank(body.price)) {
    const text = (body.price as string).trim();
    const zeroDecimal = currency !== null && ZERO_DECIMAL.has(currency);
    if (zeroDecimal ? /^\d{1,9}$/.test(text) : /^\d{1,7}(\.\d{1,2})?$/.test(text)) price = zeroDecimal ? Number(text) : Math.round(Number(text) * 100);
    else errors.price = phrase('offering.bad_price');
  }
  const cap = blank(body.cap) ? null : /^\d{1,6}$/.test((body.cap as string).trim()) ? Number((body.cap as string).trim()) : Number.NaN;
  return {
    input: {
      self_enrol: body.self_enrol === 'on',
      opens_at: when('opens_at'),
      closes_at: when('closes_at'),
      cap,
      price_amount: price,
      currency,
    },
    errors,
  };
}

/** The API's field names, as the form's. */
const formField = (field: string) => (field === 'price_amount' ? 'price' : field);

async function offeringFormPage(scope: Scope, classId: string, extra: { values?: OfferingForm; errors?: FieldErrors; saved?: boolean } = {}) {
  const klass = await findClass(scope, classId, 'update');
  const current = await findOffering(scope, classId, 'update').then(
    (row) => presentOffering(scope, row),
    (error) => {
      if (error instanceof AppError && error.status === 404) return undefined;
      throw error;
    },
  );
  const price = current?.price;
  const values: OfferingForm = extra.values ?? {
    self_enrol: current?.self_enrol ? 'on' : undefined,
    opens_at: (current?.opens_at && schoolClock(scope, current.opens_at)) || '',
    closes_at: (current?.closes_at && schoolClock(scope, current.closes_at)) || '',
    cap: current?.cap ? String(current.cap) : '',
    price: price ? (ZERO_DECIMAL.has(price.currency) ? String(price.amount) : (price.amount / 100).toFixed(2)) : '',
    currency: price?.currency ?? 'usd',
  };
  return {
    title: phrase('offering.heading', { name: klass.name }),
    klass: { id: klass.id, name: klass.name, archived: Boolean(klass.archived_at) },
    offering: current ? describe(current) : undefined,
    values: { ...values, self_enrol: values.self_enrol === 'on' },
    errors: extra.errors,
    saved: extra.saved,
    paymentsReady: Boolean(await connectedAccount(scope)),
  };
}

// ---- the school's Stripe account for course payments (admins) ----------------------------------

async function accountPage(scope: Scope, feePercent: number, extra: Record<string, unknown> = {}) {
  const account = await connectedAccount(scope);
  return {
    title: phrase('coursepay.heading'),
    current: '/admin',
    account,
    value: account ?? '',
    feePercent,
    ...extra,
  };
}

export const cataloguePages = [
  pageRoute({
    method: 'get',
    path: '/catalogue',
    summary: 'The catalogue: courses open for self-enrolment, searchable',
    access: { action: 'read', subject: 'Offering' },
    allowReadOnly: true,
    query: z.object({ q: z.string().trim().max(200).optional(), cursor: z.string().max(500).optional() }),
    handler: async ({ scope, deps, query }) => {
      const q = query.q ?? '';
      const found = await listCatalogue(scope, { limit: CATALOGUE_PAGE, cursor: query.cursor, ...(q ? { q } : {}) });
      const teachers = await offeringTeachers(
        scope,
        found.data.map((r) => r.class_id),
      );
      const next = new URLSearchParams(q ? { q } : {});
      if (found.next_cursor) next.set('cursor', found.next_cursor);
      return page(scope, deps, 'catalogue', {
        title: phrase('catalogue.heading'),
        current: '/catalogue',
        searchQuery: q,
        searched: q !== '',
        offerings: found.data.map((r) => describe(presentOffering(scope, r), teachers.get(r.class_id))),
        nextPage: found.next_cursor ? `/catalogue?${next}` : undefined,
      });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/catalogue/:id',
    summary: 'A course in the catalogue: Enrol (free) or Pay (priced), or why not',
    access: { action: 'read', subject: 'Offering' },
    allowReadOnly: true,
    params: idParams,
    query: z.object({ enrolled: z.literal('1').optional() }),
    handler: async ({ scope, deps, params, query }) =>
      page(scope, deps, 'offering', await offeringPage(scope, params.id, { justEnrolled: query.enrolled === '1' })),
  }),
  pageRoute({
    method: 'post',
    path: '/catalogue/:id/enrol',
    summary: 'Enrol yourself in a free course (students)',
    access: { action: 'join', subject: 'Offering' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf }),
    handler: async ({ scope, deps, params }) => {
      try {
        await enrol(scope, params.id);
      } catch (error) {
        // Not open yet, closed, full, already enrolled, or priced: the page says which.
        if (error instanceof AppError && error.status === 409) {
          return { ...page(scope, deps, 'offering', await offeringPage(scope, params.id, { refused: refusalText(error) })), status: 409 };
        }
        throw error;
      }
      return { redirect: `/catalogue/${params.id}?enrolled=1` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/catalogue/:id/pay',
    summary: 'Pay for a course: holds a place and goes to Stripe Checkout (students)',
    access: { action: 'join', subject: 'Offering' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf }),
    handler: async ({ scope, deps, params, reopen }) => {
      let url: () => Promise<string>;
      try {
        url = await startCheckout(scope, deps, reopen, params.id);
      } catch (error) {
        if (error instanceof AppError && error.status === 409) {
          return { ...page(scope, deps, 'offering', await offeringPage(scope, params.id, { refused: refusalText(error) })), status: 409 };
        }
        throw error;
      }
      // The hold commits first; Stripe is asked after, and the browser goes to its page (303).
      return { afterCommit: async () => ({ redirect: await url() }) };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/catalogue/:id/paid',
    summary: 'Where Stripe Checkout returns: whether the payment is confirmed and you are enrolled',
    access: { action: 'read', subject: 'Offering' },
    allowReadOnly: true,
    params: idParams,
    query: z.object({ payment: z.uuid().optional() }),
    handler: async ({ scope, deps, params, query }) => {
      const payment = await myPayment(scope, params.id, query.payment);
      if (!payment) throw notFound('The payment');
      const view = presentOffering(scope, await findOffering(scope, params.id));
      const enrolled = view.you === 'enrolled';
      // Said from the payment's state as the webhook left it, never from the return address alone.
      const status = payment.status === 'paid' && !enrolled ? 'paid_not_enrolled' : payment.status;
      return page(scope, deps, 'offering-paid', {
        title: phrase('paid.heading'),
        current: '/catalogue',
        offering: view,
        payment: { ...payment, amountText: formatPrice(payment.amount, payment.currency) },
        status,
        message: phrase(`paid.${status}`),
        done: status === 'paid',
        waiting: status === 'pending',
        again: `/catalogue/${params.id}/paid?payment=${payment.id}`,
      });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id/offering',
    summary: 'The class’s catalogue entry: listed/open, dates, cap, price (teachers, admins)',
    access: { action: 'update', subject: 'Offering' },
    allowReadOnly: true,
    params: idParams,
    query: z.object({ saved: z.literal('1').optional() }),
    handler: async ({ scope, deps, params, query }) =>
      page(scope, deps, 'offering-form', await offeringFormPage(scope, params.id, { saved: query.saved === '1' })),
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/offering',
    summary: 'Save the class’s catalogue entry',
    access: { action: 'update', subject: 'Offering' },
    params: idParams,
    form: true,
    body: offeringForm,
    handler: async ({ scope, deps, params, body }) => {
      const again = async (errors: FieldErrors) => ({
        ...page(scope, deps, 'offering-form', await offeringFormPage(scope, params.id, { values: body, errors })),
        status: 422,
      });
      const { input, errors } = offeringInputFromForm(scope, body);
      if (Number.isNaN(input.cap)) errors.cap = phrase('offering.bad_cap');
      if (Object.keys(errors).length > 0) return again(errors);
      const checked = checkForm(offeringInput, input);
      if (!checked.ok) return again(Object.fromEntries(Object.entries(checked.errors).map(([k, v]) => [formField(k), v])));
      try {
        await setOffering(scope, params.id, checked.data);
      } catch (error) {
        if (error instanceof AppError && error.code === 'validation-failed') {
          return again(Object.fromEntries((error.errors ?? []).map((e) => [formField(e.field), e.message])));
        }
        throw error;
      }
      return { redirect: `/classes/${params.id}/offering?saved=1` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/admin/course-payments',
    summary: 'The school’s Stripe account that course payments go to (admins)',
    access: { action: 'manage', subject: 'CoursePayment' },
    allowReadOnly: true,
    query: z.object({ saved: z.literal('1').optional() }),
    handler: async ({ scope, deps, query }) =>
      page(scope, deps, 'admin-course-payments', await accountPage(scope, deps.config.coursePlatformFeePercent ?? 5, { saved: query.saved === '1' })),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/course-payments',
    summary: 'Connect (or disconnect) the school’s Stripe account for course payments',
    access: { action: 'manage', subject: 'CoursePayment' },
    form: true,
    body: z.object({ _csrf: csrf, stripe_account_id: z.string().max(100) }),
    handler: async ({ scope, deps, body }) => {
      const fee = deps.config.coursePlatformFeePercent ?? 5;
      const again = async (error: string) => ({
        ...page(scope, deps, 'admin-course-payments', await accountPage(scope, fee, { value: body.stripe_account_id, error })),
        status: 422,
      });
      const value = body.stripe_account_id.trim();
      const checked = checkForm(accountInput, { stripe_account_id: value === '' ? null : value });
      if (!checked.ok) return again(checked.errors.stripe_account_id ?? Object.values(checked.errors)[0] ?? '');
      try {
        await setConnectedAccount(scope, checked.data.stripe_account_id);
      } catch (error) {
        if (error instanceof AppError && error.status === 409) return again(error.message);
        throw error;
      }
      return { redirect: '/admin/course-payments?saved=1' };
    },
  }),
];
