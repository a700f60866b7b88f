// Which parts of a quiz or an attempt the viewer may read, decided by the CASL field rules in
// rules.ts. Rows reach this point already filtered in SQL; here CASL evaluates the same rules in
// memory, on facts about one record: the viewer's relation to its class and student (one small
// query), and the release state from policy.ts at now(scope).
import { subject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { actorUserId, type Scope } from '../scope.ts';
import type { Quiz, QuizAttempt } from './model.ts';
import { keyReleased, resultsReleased, scoreReleased, type Usage } from './policy.ts';
import { ATTEMPT_ALL_FIELDS, type AttemptField, QUIZ_ALL_FIELDS, type QuizField } from './rules.ts';

/** `guarded`: a guardian's linked students who are enrolled in the class. */
export type Relation = { teaches: boolean; enrolled: boolean; guardsClass: boolean; guarded: ReadonlySet<string> };

export const NO_RELATION: Relation = { teaches: false, enrolled: false, guardsClass: false, guarded: new Set() };

/** How the signed-in person stands to a class (and, for guardians, which students are theirs). */
export async function relationTo(scope: Scope, classId: string): Promise<Relation> {
  if (scope.actor.type !== 'user') return NO_RELATION;
  const { id, role } = scope.actor.user;
  if (role === 'teacher' || role === 'student') {
    const row = await scope.db('enrollments').where({ class_id: classId, user_id: id, role }).first('id');
    return { ...NO_RELATION, teaches: role === 'teacher' && Boolean(row), enrolled: role === 'student' && Boolean(row) };
  }
  if (role === 'guardian') {
    const links: { student_id: string; enrolment: string | null }[] = await scope
      .db('guardian_links as g')
      .leftJoin('enrollments as e', (j) =>
        j.on('e.tenant_id', 'g.tenant_id').andOn('e.user_id', 'g.student_id').andOnVal('e.class_id', classId).andOnVal('e.role', 'student'),
      )
      .where('g.guardian_id', id)
      .select('g.student_id', 'e.id as enrolment');
    const enrolled = links.filter((l) => l.enrolment !== null).map((l) => l.student_id);
    return { ...NO_RELATION, guardsClass: enrolled.length > 0, guarded: new Set(enrolled) };
  }
  return NO_RELATION;
}

const viewer = (scope: Scope, holds: boolean) => (holds ? (actorUserId(scope.actor) ?? null) : null);

export function quizFieldsFor(scope: Scope, quiz: Quiz, relation: Relation, now: Date): ReadonlySet<QuizField> {
  const facts = {
    classId: quiz.class_id,
    teacherIds: viewer(scope, relation.teaches),
    studentIds: viewer(scope, relation.enrolled),
    guardianIds: viewer(scope, relation.guardsClass),
    published: quiz.published_at !== null,
    leaderboardOpen: quiz.leaderboard && resultsReleased(quiz, now),
  };
  const fields = permittedFieldsOf(scope.ability, 'read', subject('Quiz', facts), { fieldsFrom: (rule) => rule.fields ?? [...QUIZ_ALL_FIELDS] });
  return new Set(fields as QuizField[]);
}

export function attemptFieldsFor(scope: Scope, quiz: Quiz, attempt: QuizAttempt, relation: Relation, usage: Usage, now: Date): ReadonlySet<AttemptField> {
  const facts = {
    id: attempt.id,
    studentId: attempt.student_id,
    teacherIds: viewer(scope, relation.teaches),
    studentIds: viewer(scope, relation.enrolled),
    guardianIds: viewer(scope, relation.guarded.has(attempt.student_id)),
    scoreReleased: scoreReleased(quiz, attempt, now),
    keyReleased: keyReleased(quiz, attempt, usage, now),
  };
  const fields = permittedFieldsOf(scope.ability, 'read', subject('QuizAttempt', facts), { fieldsFrom: (rule) => rule.fields ?? [...ATTEMPT_ALL_FIELDS] });
  return new Set(fields as AttemptField[]);
}

/** Attempts started and whether one is open, per student, at one quiz. */
export async function usageOf(scope: Scope, quizId: string, studentIds: string[]): Promise<Map<string, Usage>> {
  const usage = new Map<string, Usage>(studentIds.map((id) => [id, { started: 0, open: false }]));
  if (studentIds.length === 0) return usage;
  const rows: { student_id: string; started: string; open: boolean }[] = await scope
    .db('quiz_attempts')
    .where('quiz_id', quizId)
    .whereIn('student_id', studentIds)
    .groupBy('student_id')
    .select('student_id', scope.db.raw('count(*) as started'), scope.db.raw('bool_or(submitted_at is null) as open'));
  for (const r of rows) usage.set(r.student_id, { started: Number(r.started), open: r.open });
  return usage;
}
