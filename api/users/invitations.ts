// Inviting people by email, one at a time or as a CSV roster. An invited person exists at once
// (status 'invited': on rosters, counted as a seat) and signs in only after accepting the
// single-use link, which expires after 7 days and sets their password.

import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { audit } from '../audit/service.ts';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-token.ts';
import { hashPassword } from '../auth/password.ts';
import { type SessionMeta, type SessionPolicy, startSession, type TokenPair } from '../auth/sessions.ts';
import { findClass } from '../classes/service.ts';
import { AppError, conflict, forbidden, invalid } from '../errors.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import type { Mailer } from '../mail/mailer.ts';
import { actorUserId, now, type Role, type Scope } from '../scope.ts';
import { assertEmailVerified } from './email-verification.ts';
import { User } from './model.ts';
import { email as emailSchema, roleSchema } from './schema.ts';
import { assertSeatsFor, SEAT_ROLES } from './seats.ts';

export const INVITE_DAYS = 7;
export const MAX_IMPORT_ROWS = 5000;

export type MailContext = { mailer: Mailer; siteUrl: string };
export type InviteInput = { email: string; first_name: string; last_name: string; role: Role; class_ids?: string[] | undefined };

type NewPerson = InviteInput & { token: string };

export async function invitePerson(scope: Scope, input: InviteInput, mail: MailContext): Promise<{ user: User; expires_at: Date }> {
  if (scope.ability.cannot('invite', 'User')) throw forbidden('Only admins and teachers can invite people.');
  await assertEmailVerified(scope);
  const isAdmin = scope.ability.can('create', 'User');
  if (!isAdmin && (input.role !== 'student' || !input.class_ids?.length)) {
    throw forbidden('Teachers invite students into classes they teach: choose the role student and at least one of your classes.');
  }
  if (input.class_ids?.length && input.role === 'guardian') {
    throw invalid([{ in: 'body', field: 'class_ids', message: 'guardians are not on class rosters; link them to students instead' }]);
  }
  for (const classId of input.class_ids ?? []) await findClass(scope, classId, 'manage_roster');
  const existing = await User.query(scope.db).whereRaw('lower(email) = ?', [input.email]).first();
  if (existing) throw conflict('Someone at this school already uses that email address.', { field: 'email' });
  if ((SEAT_ROLES as readonly string[]).includes(input.role)) await assertSeatsFor(scope, 1);
  const [created] = await insertPeople(scope, [{ ...input, token: newOpaqueToken() }], mail);
  if (!created) throw new Error('invitation was not created');
  await audit(scope, 'user.invited', { type: 'user', id: created.user.id }, { role: input.role, classes: input.class_ids?.length ?? 0 });
  return created;
}

/** A new guardian, invited by email. The caller (api/guardians/) has checked that the actor may
 * link guardians to the student; guardians take no seat. */
export async function inviteGuardian(scope: Scope, input: Omit<InviteInput, 'role' | 'class_ids'>, mail: MailContext): Promise<User> {
  await assertEmailVerified(scope);
  const [created] = await insertPeople(scope, [{ ...input, role: 'guardian', token: newOpaqueToken() }], mail);
  if (!created) throw new Error('invitation was not created');
  await audit(scope, 'user.invited', { type: 'user', id: created.user.id }, { role: 'guardian', classes: 0 });
  return created.user;
}

/** Inserts invited people, their class places and invitations in batches, and queues the emails. */
async function insertPeople(scope: Scope, people: NewPerson[], mail: MailContext): Promise<{ user: User; expires_at: Date }[]> {
  const expiresAt = new Date(Date.now() + INVITE_DAYS * 86_400_000);
  const inviter = scope.actor.type === 'user' ? `${scope.actor.user.first_name} ${scope.actor.user.last_name}` : scope.tenant.name;
  const results: { user: User; expires_at: Date }[] = [];
  for (let start = 0; start < people.length; start += 500) {
    const batch = people.slice(start, start + 500);
    const users = (await User.query(scope.db)
      .insert(
        batch.map((p) => ({
          tenant_id: scope.tenant.id,
          email: p.email,
          first_name: p.first_name,
          last_name: p.last_name,
          role: p.role,
          status: 'invited' as const,
        })),
      )
      .returning('*')) as unknown as User[];
    const enrollments = batch.flatMap((p, i) =>
      (p.class_ids ?? []).map((classId) => ({
        tenant_id: scope.tenant.id,
        class_id: classId,
        user_id: users[i]?.id,
        role: p.role === 'student' ? 'student' : 'teacher',
      })),
    );
    if (enrollments.length > 0) await scope.db('enrollments').insert(enrollments);
    await scope.db('invitations').insert(
      batch.map((p, i) => ({
        tenant_id: scope.tenant.id,
        user_id: users[i]?.id,
        invited_by: actorUserId(scope.actor) ?? null,
        token_hash: hashOpaqueToken(p.token),
        expires_at: expiresAt,
      })),
    );
    for (const user of users) results.push({ user, expires_at: expiresAt });
  }
  // Queued in this transaction (api/jobs/outbox.ts): sent once it commits, never if it rolls back.
  for (const person of people) {
    await enqueueMail(scope, {
      to: person.email,
      template: 'invite',
      data: {
        inviter_name: inviter,
        school_name: scope.tenant.name,
        role: person.role,
        accept_url: `${mail.siteUrl}/accept-invite?token=${person.token}`,
        expires_at: expiresAt,
      },
    });
  }
  return results;
}

export type RowError = { line: number; column: string; reason: string };
export type ImportReport = { dry_run: boolean; rows: number; created: number; errors: RowError[] };

const COLUMNS = ['email', 'first_name', 'last_name', 'role', 'class_codes'] as const;
// One schema per column, checked one by one: a row reports every bad column, not just the first,
// and its other checks (repeats, taken addresses, class codes) run even when a name is missing.
const columnSchemas = {
  email: emailSchema,
  first_name: z.string().trim().min(1, 'is required').max(100, 'is longer than 100 characters'),
  last_name: z.string().trim().min(1, 'is required').max(100, 'is longer than 100 characters'),
  role: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(roleSchema.exclude(['admin', 'guardian'], { message: 'must be teacher or student' })),
} as const;
type CheckedRow = { email?: string; first_name?: string; last_name?: string; role?: string };

/** All-or-nothing CSV roster import: every row is checked first; any problem imports nothing and
 * reports each one by line and column. A dry run only reports. */
export async function importRoster(scope: Scope, csv: string, options: { dryRun: boolean }, mail: MailContext): Promise<ImportReport> {
  if (scope.ability.cannot('create', 'User')) throw forbidden('Only school admins can import rosters.');
  await assertEmailVerified(scope);
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (error) {
    throw invalid([{ in: 'body', field: 'csv', message: `is not valid CSV: ${(error as Error).message}` }]);
  }
  const [header, ...rows] = records;
  const columns = (header ?? []).map((h) => h.toLowerCase().replace(/[\s-]+/g, '_'));
  const missing = COLUMNS.filter((c) => c !== 'class_codes' && !columns.includes(c));
  if (missing.length > 0)
    throw invalid([{ in: 'body', field: 'csv', message: `the header row must name the columns ${COLUMNS.join(', ')}; missing ${missing.join(', ')}` }]);
  if (rows.length === 0) throw invalid([{ in: 'body', field: 'csv', message: 'has no rows after the header' }]);
  if (rows.length > MAX_IMPORT_ROWS)
    throw invalid([{ in: 'body', field: 'csv', message: `has ${rows.length} rows; import at most ${MAX_IMPORT_ROWS} per file` }]);

  const errors: RowError[] = [];
  const people: NewPerson[] = [];
  const seen = new Map<string, number>();
  const codesWanted = new Set<string>();
  const parsed = rows.map((cells, index) => {
    const line = index + 2;
    const record = Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
    const row: CheckedRow = {};
    for (const column of Object.keys(columnSchemas) as (keyof typeof columnSchemas)[]) {
      const result = columnSchemas[column].safeParse(record[column] ?? '');
      if (result.success) row[column] = result.data;
      else for (const issue of result.error.issues) errors.push({ line, column, reason: issue.message });
    }
    if (row.email) {
      const earlier = seen.get(row.email);
      if (earlier) errors.push({ line, column: 'email', reason: `repeats line ${earlier}` });
      else seen.set(row.email, line);
    }
    const codes = (record.class_codes ?? '')
      .split(/[\s;,]+/)
      .filter(Boolean)
      .map((c) => c.toUpperCase().replace(/-/g, ''));
    for (const code of codes) codesWanted.add(code);
    return { line, row, codes };
  });

  const taken = new Set(
    seen.size === 0
      ? []
      : (
          await scope
            .db('users')
            .whereRaw('lower(email) = any(?)', [[...seen.keys()]])
            .pluck('email')
        ).map((e: string) => e.toLowerCase()),
  );
  const classes = new Map<string, { id: string; archived: boolean }>(
    codesWanted.size === 0
      ? []
      : (
          await scope
            .db('classes')
            .whereIn('join_code', [...codesWanted])
            .select('id', 'join_code', 'archived_at')
        ).map((c) => [c.join_code, { id: c.id, archived: c.archived_at !== null }]),
  );
  for (const { line, row, codes } of parsed) {
    if (row.email && taken.has(row.email)) errors.push({ line, column: 'email', reason: 'someone at this school already uses this address' });
    const classIds: string[] = [];
    for (const code of codes) {
      const found = classes.get(code);
      if (!found) errors.push({ line, column: 'class_codes', reason: `no class has the code ${code}` });
      else if (found.archived) errors.push({ line, column: 'class_codes', reason: `the class with code ${code} is archived` });
      else classIds.push(found.id);
    }
    const { email, first_name, last_name, role } = row;
    if (!email || !first_name || !last_name || !role) continue;
    people.push({ email, first_name, last_name, role: role as Role, class_ids: classIds, token: newOpaqueToken() });
  }
  // Line by line, and within a line in the CSV's column order.
  const order = (column: string) => (COLUMNS as readonly string[]).indexOf(column);
  errors.sort((a, b) => a.line - b.line || order(a.column) - order(b.column));
  if (errors.length === 0) {
    try {
      await assertSeatsFor(scope, people.filter((p) => (SEAT_ROLES as readonly string[]).includes(p.role)).length);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      errors.push({ line: 0, column: '', reason: error.message });
    }
  }
  const report: ImportReport = { dry_run: options.dryRun, rows: rows.length, created: 0, errors };
  if (options.dryRun) return report;
  if (errors.length > 0) {
    throw new AppError('validation-failed', `The roster has ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was imported.`, {
      extra: { row_errors: errors },
    });
  }
  await insertPeople(scope, people, mail);
  await audit(scope, 'users.imported', null, { count: people.length });
  return { ...report, created: people.length };
}

export type InvitationState = { ok: true; userId: string; invitationId: string; email: string; firstName: string } | { ok: false; problem: string };

/** What an invitation link is worth now: the invited person, or why it no longer works (in words
 * the accept page shows as they are). `lock` takes the row for the accepting transaction. */
export async function invitationState(scope: Scope, token: string, options: { lock?: boolean } = {}): Promise<InvitationState> {
  const query = scope
    .db('invitations as i')
    .join('users as u', (j) => j.on('u.tenant_id', 'i.tenant_id').andOn('u.id', 'i.user_id'))
    .where('i.token_hash', hashOpaqueToken(token));
  if (options.lock) query.forUpdate();
  const row = await query.first('i.id', 'i.user_id', 'i.accepted_at', 'i.expires_at', 'u.status', 'u.email', 'u.first_name');
  const problem = !row
    ? 'is not a valid invitation'
    : row.accepted_at
      ? 'has already been used; sign in instead'
      : new Date(row.expires_at) < now(scope)
        ? 'has expired; ask your school for a new invitation'
        : row.status !== 'invited'
          ? 'is no longer valid for this account'
          : undefined;
  if (problem || !row) return { ok: false, problem: problem ?? 'is not valid' };
  return { ok: true, userId: row.user_id, invitationId: row.id, email: row.email, firstName: row.first_name };
}

/** Redeems an invitation: sets the password and activates the person. Returns who it was; the
 * caller starts the sign-in session (tokens for the API, a cookie for the page). */
export async function redeemInvitation(scope: Scope, token: string, password: string): Promise<string> {
  const state = await invitationState(scope, token, { lock: true });
  if (!state.ok) throw invalid([{ in: 'body', field: 'token', message: state.problem }], `This invitation ${state.problem}.`);
  await scope.db('invitations').where({ id: state.invitationId }).update({ accepted_at: scope.db.fn.now() });
  await User.query(scope.db)
    .patch({ status: 'active', password_hash: await hashPassword(password), password_changed_at: new Date(), updated_at: new Date() })
    .where({ id: state.userId });
  await audit(scope, 'user.invitation_accepted', { type: 'user', id: state.userId });
  return state.userId;
}

/** Accepts an invitation through the API: redeems it and signs in with a token pair. */
export async function acceptInvitation(scope: Scope, token: string, password: string, policy: SessionPolicy, meta: SessionMeta): Promise<TokenPair> {
  return startSession(scope, await redeemInvitation(scope, token, password), policy, meta);
}
