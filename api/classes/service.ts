// Classes and their rosters. Every read and write goes through the ability turned into SQL, so
// what a person may list, open and change is one rule (api/classes/rules.ts).
import { randomInt } from 'node:crypto';
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../errors.ts';
import { actorUserId, type Scope } from '../scope.ts';
import { User } from '../users/model.ts';
import { CLASS_FIELDS, Class, Enrollment } from './model.ts';
import type { ClassView, CreateClassInput, MemberView, PersonView, UpdateClassInput } from './schema.ts';

// No 0/O, 1/I/L: codes are read aloud in classrooms and copied off whiteboards.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 7;

export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

export function presentClass(scope: Scope, c: Class): ClassView {
  const showCode = c.join_code_enabled && scope.ability.can('manage_roster', 'Class');
  return {
    id: c.id,
    name: c.name,
    subject: c.subject,
    grade_level: c.grade_level,
    description: c.description,
    term_start: c.term_start,
    term_end: c.term_end,
    archived: c.archived_at !== null,
    join_code: showCode ? c.join_code : null,
    join_code_enabled: c.join_code_enabled,
    created_at: new Date(c.created_at).toISOString(),
  };
}

const accessible = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'Class', CLASS_FIELDS);

export async function createClass(scope: Scope, input: CreateClassInput): Promise<Class> {
  if (scope.ability.cannot('create', 'Class')) throw forbidden('Only teachers and admins can create classes.');
  const created = await insertWithFreshCode(scope, input);
  const teacherId = actorUserId(scope.actor);
  // The teacher who creates a class teaches it; an admin creating one adds teachers afterwards.
  if (scope.actor.type === 'user' && scope.actor.user.role === 'teacher' && teacherId) {
    await Enrollment.query(scope.db).insert({ tenant_id: scope.tenant.id, class_id: created.id, user_id: teacherId, role: 'teacher' });
  }
  await audit(scope, 'class.created', { type: 'class', id: created.id }, { name: created.name });
  return created;
}

async function insertWithFreshCode(scope: Scope, input: CreateClassInput): Promise<Class> {
  return Class.query(scope.db).insertAndFetch({ tenant_id: scope.tenant.id, ...input, join_code: await freeJoinCode(scope) });
}

/** A code no class of this school uses. Checked first rather than caught: a unique violation
 * would abort the request's transaction. */
async function freeJoinCode(scope: Scope): Promise<string> {
  for (let attempt = 0; attempt < 6; attempt++) {
    const code = newJoinCode();
    if (!(await Class.query(scope.db).select('id').findOne({ join_code: code }))) return code;
  }
  throw new AppError('unavailable', 'Could not find a free class code; try again.');
}

export async function listClasses(scope: Scope, page: PageQuery & { archived?: boolean }): Promise<Page<Class>> {
  const query = Class.query(scope.db).modify(accessible(scope, 'read'));
  if (page.archived !== undefined) query.where((q) => (page.archived ? q.whereNotNull('archived_at') : q.whereNull('archived_at')));
  return paginate<Class>(query, page, { sort: 'classes.name', id: 'classes.id', sortOf: (c) => c.name, idOf: (c) => c.id });
}

/** The class if the ability allows `action` on it. Someone who may see the class but not do
 * this gets 403; someone who may not even see it gets 404, as if it did not exist. */
export function findClass(scope: Scope, id: string, action: Action = 'read'): Promise<Class> {
  return findAccessible(action, (a) => Class.query(scope.db).modify(accessible(scope, a)).findOne({ 'classes.id': id }), {
    what: 'The class',
    cannot: 'You can see this class but not change it.',
  });
}

export async function updateClass(scope: Scope, id: string, input: UpdateClassInput): Promise<Class> {
  const current = await findClass(scope, id, 'update');
  const { archived, ...fields } = input;
  if (current.archived_at && archived !== false) {
    throw conflict('This class is archived. Unarchive it (archived: false) before changing it.');
  }
  const patch: Partial<Class> & { updated_at: Date } = { ...fields, updated_at: new Date() };
  if (archived !== undefined) patch.archived_at = archived ? (current.archived_at ?? new Date()) : null;
  const updated = await Class.query(scope.db).patchAndFetchById(current.id, patch);
  await audit(scope, 'class.updated', { type: 'class', id }, { fields: Object.keys(input) });
  return updated;
}

export async function rotateJoinCode(scope: Scope, id: string): Promise<Class> {
  const current = await findClass(scope, id, 'manage_roster');
  assertNotArchived(current);
  const code = await freeJoinCode(scope);
  const updated = await Class.query(scope.db).patchAndFetchById(current.id, { join_code: code, join_code_enabled: true, updated_at: new Date() });
  await audit(scope, 'class.join_code_rotated', { type: 'class', id });
  return updated;
}

export async function joinClass(scope: Scope, code: string): Promise<{ class: Class; joined: boolean }> {
  const userId = actorUserId(scope.actor);
  if (!userId || scope.ability.cannot('join', 'Class')) throw forbidden('Only students join classes with a code.');
  const found = await Class.query(scope.db).findOne({ join_code: code, join_code_enabled: true });
  if (!found || found.archived_at) {
    throw invalid([{ in: 'body', field: 'code', message: 'no open class has this code' }], 'No open class has that code. Check it with your teacher.');
  }
  const existing = await Enrollment.query(scope.db).findOne({ class_id: found.id, user_id: userId });
  if (existing) return { class: found, joined: false };
  await Enrollment.query(scope.db).insert({ tenant_id: scope.tenant.id, class_id: found.id, user_id: userId, role: 'student' });
  await audit(scope, 'class.joined', { type: 'class', id: found.id });
  return { class: found, joined: true };
}

export async function listMembers(scope: Scope, classId: string, page: PageQuery): Promise<Page<MemberView>> {
  await findClass(scope, classId, 'manage_roster');
  const query = scope
    .db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .where('e.class_id', classId)
    .select('e.role', 'e.created_at', 'u.id', 'u.first_name', 'u.last_name', 'u.email');
  type Row = { role: 'teacher' | 'student'; created_at: Date; id: string; first_name: string; last_name: string; email: string };
  const rows = await paginate<Row>(query, page, { sort: 'u.email', id: 'u.id', sortOf: (r) => r.email, idOf: (r) => r.id });
  return {
    next_cursor: rows.next_cursor,
    data: rows.data.map((r) => ({
      user: { id: r.id, first_name: r.first_name, last_name: r.last_name, email: r.email },
      role: r.role,
      enrolled_at: new Date(r.created_at).toISOString(),
    })),
  };
}

/** The class's people by name, as Google Classroom's People tab shows them to students: teachers,
 * then classmates, no emails. Guardians see their own child's classes but not the other children
 * in them. */
export async function listPeople(scope: Scope, classId: string, page: PageQuery): Promise<Page<PersonView>> {
  await findClass(scope, classId, 'read');
  if (scope.actor.type === 'user' && scope.actor.user.role === 'guardian') {
    throw forbidden('Guardians see their own students, not the rest of the class.');
  }
  const query = scope
    .db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .where('e.class_id', classId)
    .whereNot('u.status', 'deactivated')
    .select(
      'u.id',
      'u.first_name',
      'u.last_name',
      'e.role',
      scope.db.raw(`(case e.role when 'teacher' then '0' else '1' end) || lower(u.last_name || ' ' || u.first_name) as sort_key`),
    );
  const rows = await paginate<PersonView & { sort_key: string }>(scope.db.from(query.as('p')).select('p.*'), page, {
    sort: 'p.sort_key',
    id: 'p.id',
    sortOf: (r) => r.sort_key,
    idOf: (r) => r.id,
  });
  return { next_cursor: rows.next_cursor, data: rows.data.map(({ sort_key: _key, ...person }) => person) };
}

export async function addMember(scope: Scope, classId: string, input: { user_id: string; role: 'teacher' | 'student' }): Promise<void> {
  const target = await findClass(scope, classId, 'manage_roster');
  assertNotArchived(target);
  // Only people of this school exist here (RLS), so another school's user id is simply unknown.
  const user = await User.query(scope.db).findOne({ id: input.user_id, status: 'active' });
  if (!user) throw invalid([{ in: 'body', field: 'user_id', message: 'no active person at this school has this id' }]);
  const fits = input.role === 'student' ? user.role === 'student' : user.role === 'teacher' || user.role === 'admin';
  if (!fits) throw invalid([{ in: 'body', field: 'role', message: `a ${user.role} cannot be added as a ${input.role}` }]);
  const existing = await Enrollment.query(scope.db).findOne({ class_id: classId, user_id: input.user_id });
  if (existing) throw conflict('This person is already on the roster.');
  await Enrollment.query(scope.db).insert({ tenant_id: scope.tenant.id, class_id: classId, user_id: input.user_id, role: input.role });
  await audit(scope, 'class.member_added', { type: 'class', id: classId }, { user_id: input.user_id, role: input.role });
}

export async function removeMember(scope: Scope, classId: string, userId: string): Promise<void> {
  const target = await findClass(scope, classId, 'manage_roster');
  assertNotArchived(target);
  const removed = await Enrollment.query(scope.db).delete().where({ class_id: classId, user_id: userId });
  if (removed === 0) throw notFound('That person on this roster');
  await audit(scope, 'class.member_removed', { type: 'class', id: classId }, { user_id: userId });
}

/** The one archived-class rule: an archived class and everything in it stay readable and accept
 * no changes (409) until it is unarchived. Every feature that writes into a class checks it here. */
export function assertNotArchived(klass: Pick<Class, 'archived_at'> | undefined): void {
  if (klass?.archived_at)
    throw conflict('This class is archived: everything in it stays readable, and nothing can be added or changed until it is unarchived.');
}

/** The same rule by class id, for a write that already holds a record of the class. */
export async function assertClassWritable(scope: Scope, classId: string | null): Promise<void> {
  if (!classId) return;
  assertNotArchived(await Class.query(scope.db).select('archived_at').findOne({ id: classId }));
}

/** The class, if `action` is allowed on it and it is not archived: what every feature that
 * writes into a class (homework, quizzes, notices, resources) checks first. */
export async function writableClass(scope: Scope, classId: string, action: Action = 'update'): Promise<Class> {
  const found = await findClass(scope, classId, action);
  assertNotArchived(found);
  return found;
}

export type RosterSummary = { teachers: { id: string; first_name: string; last_name: string }[]; students: number };

/** Each class's teachers and number of students, for classes the actor may read (the admin's
 * school-wide classes page): one query for the whole page, not one per class. */
export async function rosterSummaries(scope: Scope, classIds: string[]): Promise<Map<string, RosterSummary>> {
  const summaries = new Map<string, RosterSummary>(classIds.map((id) => [id, { teachers: [], students: 0 }]));
  if (classIds.length === 0) return summaries;
  const readable = Class.query(scope.db).modify(accessible(scope, 'read')).whereIn('classes.id', classIds).select('classes.id').toKnexQuery();
  const rows = await scope
    .db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .whereIn('e.class_id', readable)
    .whereNot('u.status', 'deactivated')
    .orderBy(['u.last_name', 'u.first_name', 'u.id'])
    .select('e.class_id', 'e.role', 'u.id', 'u.first_name', 'u.last_name');
  for (const row of rows) {
    const summary = summaries.get(row.class_id);
    if (!summary) continue;
    if (row.role === 'teacher') summary.teachers.push({ id: row.id, first_name: row.first_name, last_name: row.last_name });
    else summary.students++;
  }
  return summaries;
}
