// The school office's people pages (/admin/people): everyone at the school with search, filters
// and pages; inviting; importing a roster CSV with a dry run and a table of every problem of every
// row; and, per person, role, deactivation, unpausing sign-in, resetting two-step sign-in, signing
// out everywhere, and linking guardians. Every action is the API's own service call.
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { resetTwoFactor } from '../auth/two-factor.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { linkGuardianInput } from '../guardians/schema.ts';
import { linkGuardian, listGuardians, unlinkGuardian } from '../guardians/service.ts';
import type { Scope } from '../scope.ts';
import { importRoster, invitePerson, type RowError } from '../users/invitations.ts';
import { inviteInput, roleSchema } from '../users/schema.ts';
import { findManageableUser, listUsers, presentUser, signOutEverywhere, unlockAccount, updateUser } from '../users/service.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';
import { phrase } from './words.ts';

const csrf = z.string().max(200).optional();
const idParams = z.object({ id: z.uuid() });
const PAGE = 50;
const ROLES = ['admin', 'teacher', 'student', 'guardian'] as const;
const STATUSES = ['invited', 'active', 'deactivated'] as const;
const CSV_COLUMNS = ['email', 'first_name', 'last_name', 'role', 'class_codes'] as const;

const people = { action: 'manage', subject: 'User' } as const;
const mailOf = (scope: Scope, deps: { mailer: import('../mail/mailer.ts').Mailer; config: Parameters<typeof schoolUrl>[0] }) => ({
  mailer: deps.mailer,
  siteUrl: schoolUrl(deps.config, scope.tenant.slug),
});

/** An expected refusal (4xx) from a service, as words for the page; anything else is rethrown. */
function refusal(error: unknown): AppError {
  if (error instanceof AppError && error.status < 500) return error;
  throw error;
}

/** The fields a refusal names (validation problems), or its message on the form as a whole. */
function fieldsOf(error: AppError): FieldErrors {
  const errors: FieldErrors = {};
  for (const e of error.errors ?? []) errors[e.field || 'form'] ??= e.message;
  const field = error.extra?.field;
  if (typeof field === 'string') errors[field] ??= error.message;
  if (Object.keys(errors).length === 0) errors.form = error.message;
  return errors;
}

const listQuery = z.object({
  q: z.string().trim().max(200).optional(),
  role: z.enum(ROLES).or(z.literal('')).optional(),
  status: z.enum(STATUSES).or(z.literal('')).optional(),
  cursor: z.string().max(500).optional(),
  done: z.string().max(40).optional(),
  count: z.coerce.number().int().min(0).max(100_000).optional(),
});
type ListQuery = z.infer<typeof listQuery>;

type InviteForm = { email?: string; first_name?: string; last_name?: string; role?: string };

async function peoplePage(scope: Scope, query: ListQuery, invite: { form?: InviteForm; errors?: FieldErrors } = {}) {
  const filter = { q: query.q || undefined, role: query.role || undefined, status: query.status || undefined };
  const found = await listUsers(scope, { limit: PAGE, cursor: query.cursor, ...filter });
  const params = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => Boolean(e[1])));
  if (found.next_cursor) params.set('cursor', found.next_cursor);
  return {
    title: phrase('admin.people'),
    current: '/admin',
    people: found.data.map(presentUser),
    filter,
    roles: ROLES.map((r) => ({ value: r, label: phrase(`admin.role.${r}`), chosen: r === filter.role, invite: r === (invite.form?.role ?? 'student') })),
    statuses: STATUSES.map((s) => ({ value: s, label: phrase(`admin.state.${s}`), chosen: s === filter.status })),
    nextPage: found.next_cursor ? `/admin/people?${params}` : undefined,
    notice: doneNotice(query.done, { count: query.count }),
    invite: invite.form ?? {},
    errors: invite.errors,
  };
}

function doneNotice(done: string | undefined, vars: Record<string, unknown> = {}): string | undefined {
  if (!done || !/^[a-z_]+$/.test(done)) return undefined;
  const text = phrase(`admin.done.${done}`, vars);
  return text.startsWith('admin.done.') ? undefined : text;
}

async function personPage(
  scope: Scope,
  id: string,
  extra: { done?: string | undefined; error?: string; guardianForm?: Record<string, string>; guardianErrors?: FieldErrors } = {},
) {
  const person = presentUser(await findManageableUser(scope, id));
  const me = scope.actor.type === 'user' ? scope.actor.user.id : undefined;
  const twoFactor = await scope.db('two_factor').where({ user_id: id }).first('user_id');
  const student = person.role === 'student';
  return {
    title: `${person.first_name} ${person.last_name}`,
    current: '/admin',
    person,
    self: person.id === me,
    roleLabel: phrase(`admin.role.${person.role}`),
    statusLabel: phrase(`admin.state.${person.status}`),
    roles: ROLES.map((r) => ({ value: r, label: phrase(`admin.role.${r}`), chosen: r === person.role })),
    usesTwoFactor: Boolean(twoFactor),
    student,
    canLink: student && scope.ability.can('create', 'GuardianLink'),
    guardians: student ? await listGuardians(scope, id) : [],
    notice: doneNotice(extra.done),
    error: extra.error,
    guardianForm: extra.guardianForm ?? {},
    guardianErrors: extra.guardianErrors,
  };
}

/** A person action: done → back to their page with a notice; refused → their page with the reason. */
function personAction(
  path: string,
  summary: string,
  done: string,
  run: (scope: Scope, id: string, deps: Parameters<typeof mailOf>[1] & { secretBox: unknown }) => Promise<unknown>,
  body = z.object({ _csrf: csrf }),
) {
  return pageRoute({
    method: 'post',
    path: `/admin/people/:id/${path}`,
    summary,
    access: people,
    params: idParams,
    form: true,
    body,
    handler: async ({ scope, deps, params }) => {
      try {
        await run(scope, params.id, deps);
      } catch (error) {
        const problem = refusal(error);
        if (problem.status === 404) throw problem;
        return { ...page(scope, deps, 'admin-person', await personPage(scope, params.id, { error: problem.message })), status: problem.status };
      }
      return { redirect: `/admin/people/${params.id}?done=${done}` };
    },
  });
}

// ---- the roster import -------------------------------------------------------------------

type ReportRow = { line: number; cells: { column: string; value: string; reasons: string[] }[] };

/** Every problem laid out by row and column, with what the row holds in each column. */
function reportTable(csv: string, errors: RowError[]): { rows: ReportRow[]; general: string[] } {
  let records: string[][] = [];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch {
    // The service has already reported unreadable CSV; the table then shows no values.
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase().replace(/[\s-]+/g, '_'));
  const byLine = new Map<number, RowError[]>();
  const general: string[] = [];
  for (const e of errors) {
    if (e.line <= 0) general.push(e.reason);
    else byLine.set(e.line, [...(byLine.get(e.line) ?? []), e]);
  }
  const rows = [...byLine.entries()].map(([line, list]) => {
    const cells = records[line - 1] ?? [];
    return {
      line,
      cells: CSV_COLUMNS.map((column) => {
        const index = header.indexOf(column);
        return { column, value: index >= 0 ? (cells[index] ?? '') : '', reasons: list.filter((e) => e.column === column).map((e) => e.reason) };
      }),
    };
  });
  return { rows, general };
}

const importForm = z.object({ _csrf: csrf, csv: z.string().max(2_000_000), intent: z.enum(['check', 'import']) });

function importPage(csv: string, result: { rows?: number; errors?: RowError[]; problem?: string } = {}) {
  const table = result.errors ? reportTable(csv, result.errors) : undefined;
  return {
    title: phrase('admin.import_heading'),
    current: '/admin',
    csv,
    columns: CSV_COLUMNS,
    checked: result.errors !== undefined,
    clean: result.errors !== undefined && result.errors.length === 0,
    rowCount: result.rows,
    errorCount: result.errors?.length ?? 0,
    report: table,
    problem: result.problem,
  };
}

export const adminPeoplePages = [
  pageRoute({
    method: 'get',
    path: '/admin/people',
    summary: 'Everyone at the school: search, filter by role and status, page through; invite',
    access: people,
    allowReadOnly: true,
    query: listQuery,
    handler: async ({ scope, deps, query }) => page(scope, deps, 'admin-people', await peoplePage(scope, query)),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/people/invitations',
    summary: 'Invite a person by email (the form)',
    access: people,
    form: true,
    body: z.object({ _csrf: csrf, email: z.string().max(400), first_name: z.string().max(200), last_name: z.string().max(200), role: z.string().max(20) }),
    handler: async ({ scope, deps, body }) => {
      const { _csrf, ...form } = body;
      const checked = checkForm(inviteInput, form);
      const again = async (errors: FieldErrors, status: number) => ({
        ...page(scope, deps, 'admin-people', await peoplePage(scope, {}, { form, errors })),
        status,
      });
      if (!checked.ok) return again(checked.errors, 422);
      try {
        const { user } = await invitePerson(scope, checked.data, mailOf(scope, deps));
        return { redirect: `/admin/people/${user.id}?done=invited` };
      } catch (error) {
        const problem = refusal(error);
        return again(fieldsOf(problem), problem.status);
      }
    },
  }),
  pageRoute({
    method: 'get',
    path: '/admin/people/import',
    summary: 'Import a roster CSV: the form',
    access: people,
    handler: async ({ scope, deps }) => page(scope, deps, 'admin-import', importPage('')),
  }),
  pageRoute({
    method: 'post',
    path: '/admin/people/import',
    summary: 'Check a roster CSV (dry run: every problem of every row), or import it (all or nothing)',
    access: people,
    form: true,
    body: importForm,
    handler: async ({ scope, deps, body }) => {
      const csv = body.csv;
      const show = (result: Parameters<typeof importPage>[1], status = 200) => ({ ...page(scope, deps, 'admin-import', importPage(csv, result)), status });
      if (csv.trim() === '') return show({ problem: 'Choose a CSV file or paste the roster first.' }, 422);
      try {
        const report = await importRoster(scope, csv, { dryRun: body.intent === 'check' }, mailOf(scope, deps));
        if (body.intent === 'check') return show({ rows: report.rows, errors: report.errors });
        return { redirect: `/admin/people?done=imported&count=${report.created}` };
      } catch (error) {
        const problem = refusal(error);
        const rowErrors = problem.extra?.row_errors;
        if (Array.isArray(rowErrors)) return show({ errors: rowErrors as RowError[] }, 422);
        return show({ problem: problem.errors?.[0] ? `The file ${problem.errors[0].message}.` : problem.message }, problem.status);
      }
    },
  }),
  pageRoute({
    method: 'get',
    path: '/admin/people/:id',
    summary: 'One person: role, status and what an admin can do for them; a student’s guardians',
    access: people,
    allowReadOnly: true,
    params: idParams,
    query: z.object({ done: z.string().max(40).optional() }),
    handler: async ({ scope, deps, params, query }) => page(scope, deps, 'admin-person', await personPage(scope, params.id, { done: query.done })),
  }),
  // Role and status: one form each, the API's update with one field.
  pageRoute({
    method: 'post',
    path: '/admin/people/:id/role',
    summary: 'Change a person’s role',
    access: people,
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf, role: roleSchema }),
    handler: async ({ scope, deps, params, body }) => {
      try {
        await updateUser(scope, params.id, { role: body.role });
      } catch (error) {
        const problem = refusal(error);
        if (problem.status === 404) throw problem;
        return { ...page(scope, deps, 'admin-person', await personPage(scope, params.id, { error: problem.message })), status: problem.status };
      }
      return { redirect: `/admin/people/${params.id}?done=role` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/people/:id/status',
    summary: 'Deactivate a person (signed out at once) or reactivate them',
    access: people,
    params: idParams,
    form: true,
    body: z.object({ _csrf: csrf, status: z.enum(['active', 'deactivated']) }),
    handler: async ({ scope, deps, params, body }) => {
      try {
        await updateUser(scope, params.id, { status: body.status });
      } catch (error) {
        const problem = refusal(error);
        if (problem.status === 404) throw problem;
        return { ...page(scope, deps, 'admin-person', await personPage(scope, params.id, { error: problem.message })), status: problem.status };
      }
      return { redirect: `/admin/people/${params.id}?done=${body.status === 'active' ? 'reactivated' : 'deactivated'}` };
    },
  }),
  personAction('unlock', 'Unpause a person’s sign-in after repeated failures', 'unlocked', (scope, id) => unlockAccount(scope, id)),
  personAction('two-factor/reset', 'Reset a person’s two-step sign-in (lost phone)', 'two_factor_reset', async (scope, id, deps) => {
    await findManageableUser(scope, id);
    await resetTwoFactor(scope, { box: deps.secretBox as never, mailer: deps.mailer }, id);
  }),
  personAction('sign-out', 'Sign a person out everywhere', 'signed_out', (scope, id) => signOutEverywhere(scope, id)),
  pageRoute({
    method: 'post',
    path: '/admin/people/:id/guardians',
    summary: 'Link a guardian to a student (inviting them if new)',
    access: { action: 'create', subject: 'GuardianLink' },
    params: idParams,
    form: true,
    body: z.object({
      _csrf: csrf,
      email: z.string().max(400),
      first_name: z.string().max(200),
      last_name: z.string().max(200),
      relationship: z.string().max(200).optional(),
    }),
    handler: async ({ scope, deps, params, body }) => {
      const { _csrf, ...form } = body;
      const byEmail = linkGuardianInput.options[1];
      const checked = checkForm(byEmail, { ...form, relationship: form.relationship?.trim() || undefined });
      const again = async (errors: FieldErrors, status: number) => ({
        ...page(scope, deps, 'admin-person', await personPage(scope, params.id, { guardianForm: form, guardianErrors: errors })),
        status,
      });
      if (!checked.ok) return again(checked.errors, 422);
      try {
        await linkGuardian(scope, params.id, checked.data, mailOf(scope, deps));
      } catch (error) {
        const problem = refusal(error);
        if (problem.status === 404 || problem.status === 403) throw problem;
        return again(fieldsOf(problem), problem.status);
      }
      return { redirect: `/admin/people/${params.id}?done=linked` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/admin/people/:id/guardians/:guardianId/unlink',
    summary: 'Unlink a guardian from a student',
    access: { action: 'delete', subject: 'GuardianLink' },
    params: z.object({ id: z.uuid(), guardianId: z.uuid() }),
    form: true,
    body: z.object({ _csrf: csrf }),
    handler: async ({ scope, params }) => {
      await unlinkGuardian(scope, params.id, params.guardianId);
      return { redirect: `/admin/people/${params.id}?done=unlinked` };
    },
  }),
];
