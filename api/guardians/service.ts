// Guardians and the students they are linked to. A guardian sees what their students see,
// read-only; every other feature asks "is this a linked student?" through the `guardianIds` and
// `guardedBy` rule fields, which read guardian_links.
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { conflict, forbidden, invalid, notFound } from '../errors.ts';
import { actorUserId, type Scope } from '../scope.ts';
import { inviteGuardian, type MailContext } from '../users/invitations.ts';
import { User } from '../users/model.ts';
import { getUser } from '../users/service.ts';
import { GUARDIAN_LINK_FIELDS, GuardianLink } from './model.ts';
import type { GuardianView, LinkedStudentView, LinkGuardianInput } from './schema.ts';

/** The student, if the actor may link guardians to them: 404 for people they cannot see, 403
 * for people they see but may not link (only admins link guardians). */
async function linkableStudent(scope: Scope, studentId: string): Promise<User> {
  const student = await getUser(scope, studentId);
  if (student.role !== 'student') throw notFound('The student');
  // The rule fields are written for guardian_links rows: test them on the would-be link.
  const wouldBe = scope.db.raw('(select ?::uuid as tenant_id, ?::uuid as student_id, null::uuid as guardian_id) as guardian_links', [
    scope.tenant.id,
    studentId,
  ]);
  const allowed = await scope.db
    .from(wouldBe)
    .modify(accessibleBy(scope.ability, 'create', 'GuardianLink', GUARDIAN_LINK_FIELDS))
    .first(scope.db.raw('1 as ok'));
  if (!allowed) throw forbidden('Only the school office (admins) links and unlinks guardians.');
  return student;
}

export async function listGuardians(scope: Scope, studentId: string): Promise<GuardianView[]> {
  const student = await getUser(scope, studentId);
  if (student.role !== 'student') throw notFound('The student');
  const rows = await GuardianLink.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'GuardianLink', GUARDIAN_LINK_FIELDS))
    .join('users as g', (j) => j.on('g.tenant_id', 'guardian_links.tenant_id').andOn('g.id', 'guardian_links.guardian_id'))
    .where('guardian_links.student_id', studentId)
    .orderBy(['g.last_name', 'g.first_name', 'g.id'])
    .select('g.id', 'g.first_name', 'g.last_name', 'g.email', 'g.status', 'guardian_links.relationship', 'guardian_links.created_at');
  return (rows as unknown as (Omit<GuardianView, 'linked_at'> & { created_at: Date })[]).map(({ created_at, ...g }) => ({
    ...g,
    linked_at: new Date(created_at).toISOString(),
  }));
}

export async function linkGuardian(
  scope: Scope,
  studentId: string,
  input: LinkGuardianInput,
  mail: MailContext,
): Promise<{ guardian: User; created: boolean }> {
  await linkableStudent(scope, studentId);
  let guardian: User | undefined;
  let invited = false;
  if ('guardian_id' in input) {
    guardian = await User.query(scope.db).findOne({ id: input.guardian_id });
    if (guardian?.role !== 'guardian') throw invalid([{ in: 'body', field: 'guardian_id', message: 'no guardian at this school has this id' }]);
  } else {
    guardian = await User.query(scope.db).whereRaw('lower(email) = ?', [input.email]).first();
    if (guardian && guardian.role !== 'guardian') {
      throw invalid([{ in: 'body', field: 'email', message: `this address belongs to a ${guardian.role} of the school, not a guardian` }]);
    }
    if (!guardian) {
      guardian = await inviteGuardian(scope, { email: input.email, first_name: input.first_name, last_name: input.last_name }, mail);
      invited = true;
    }
  }
  if (guardian.status === 'deactivated') throw conflict('This guardian’s account is deactivated; an admin can reactivate it first.');
  const existing = await GuardianLink.query(scope.db).findOne({ guardian_id: guardian.id, student_id: studentId });
  if (existing) return { guardian, created: false };
  await GuardianLink.query(scope.db).insert({
    tenant_id: scope.tenant.id,
    guardian_id: guardian.id,
    student_id: studentId,
    relationship: input.relationship ?? null,
  });
  await audit(scope, 'guardian.linked', { type: 'user', id: studentId }, { guardian_id: guardian.id, invited });
  return { guardian, created: true };
}

export async function unlinkGuardian(scope: Scope, studentId: string, guardianId: string): Promise<void> {
  await linkableStudent(scope, studentId);
  const removed = await GuardianLink.query(scope.db).delete().where({ student_id: studentId, guardian_id: guardianId });
  if (removed === 0) throw notFound('That guardian of this student');
  await audit(scope, 'guardian.unlinked', { type: 'user', id: studentId }, { guardian_id: guardianId });
}

/** A guardian's students and their (active) classes; empty for everyone else. */
export async function myStudents(scope: Scope): Promise<LinkedStudentView[]> {
  const me = actorUserId(scope.actor);
  if (!me) return [];
  const rows = await scope
    .db('guardian_links as g')
    .join('users as s', (j) => j.on('s.tenant_id', 'g.tenant_id').andOn('s.id', 'g.student_id'))
    .leftJoin('enrollments as e', (j) => j.on('e.tenant_id', 'g.tenant_id').andOn('e.user_id', 'g.student_id').andOnVal('e.role', 'student'))
    .leftJoin('classes as c', (j) => j.on('c.tenant_id', 'e.tenant_id').andOn('c.id', 'e.class_id').andOnNull('c.archived_at'))
    .where('g.guardian_id', me)
    .andWhere('s.status', '<>', 'deactivated')
    .orderBy(['s.last_name', 's.first_name', 's.id', 'c.name'])
    .select('s.id', 's.first_name', 's.last_name', 'g.relationship', 'c.id as class_id', 'c.name as class_name');
  const students = new Map<string, LinkedStudentView>();
  for (const row of rows) {
    let student = students.get(row.id);
    if (!student) {
      student = { id: row.id, first_name: row.first_name, last_name: row.last_name, relationship: row.relationship, classes: [] };
      students.set(row.id, student);
    }
    if (row.class_id) student.classes.push({ id: row.class_id, name: row.class_name });
  }
  return [...students.values()];
}
