// Which parts of a quiz or an attempt the viewer may read, decided by the CASL field rules in
// rules.ts. Rows reach this point already filtered in SQL; here CASL evaluates the same rules in
// memory, on facts about one record: the viewer's relation to its class and student (one small
// query), and the release state from policy.ts at now(scope).
import { subject } from '@casl/ability';
import { permittedFieldsOf } from '@casl/ability/extra';
import { actorUserId, type Scope } from '../scope.ts';
import type { Quiz, QuizAttempt } from './model.ts';
import { releasedFor, releasedForAll } from './policy.ts';
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
    leaderboardOpen: quiz.leaderboard && releasedForAll(quiz, 'score', now),
  };
  const fields = permittedFieldsOf(scope.ability, 'read', subject('Quiz', facts), { fieldsFrom: (rule) => rule.fields ?? [...QUIZ_ALL_FIELDS] });
  return new Set(fields as QuizField[]);
}

export function attemptFieldsFor(scope: Scope, quiz: Quiz, attempt: QuizAttempt, relation: Relation, now: Date): ReadonlySet<AttemptField> {
  const facts = {
    id: attempt.id,
    studentId: attempt.student_id,
    teacherIds: viewer(scope, relation.teaches),
    studentIds: viewer(scope, relation.enrolled),
    guardianIds: viewer(scope, relation.guarded.has(attempt.student_id)),
    scoreReleased: releasedFor(quiz, 'score', attempt, now),
    correctnessReleased: releasedFor(quiz, 'correctness', attempt, now),
    answersReleased: releasedFor(quiz, 'answers', attempt, now),
  };
  const fields = permittedFieldsOf(scope.ability, 'read', subject('QuizAttempt', facts), { fieldsFrom: (rule) => rule.fields ?? [...ATTEMPT_ALL_FIELDS] });
  return new Set(fields as AttemptField[]);
}
