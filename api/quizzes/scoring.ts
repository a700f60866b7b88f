// Grading attempts in the database: closing them (autograde on submit or at the deadline),
// keeping each attempt's totals and the counted attempt per student in step. Callers hold the
// locks of locks.ts first.
import { audit } from '../audit/service.ts';
import { quizActivity } from '../courses/progress.ts';
import { now, type Scope } from '../scope.ts';
import { type GradableQuestion, scoreResponse } from './grading.ts';
import { lockQuiz, lockStudentAttempts } from './locks.ts';
import { type Quiz, QuizAnswer, QuizAttempt, QuizQuestion } from './model.ts';
import { GRACE_SECONDS } from './policy.ts';

export const gradable = (q: QuizQuestion): GradableQuestion => ({
  type: q.type,
  points: Number(q.points),
  options: q.options,
  key: q.key,
  scoring: q.scoring,
  grading: q.grading,
});

export type Closing = { attempt: QuizAttempt; submittedAt: Date; finishedBy: 'student' | 'deadline' };

/** Autogrades the attempts' answers, closes the attempts and updates the counted attempts. */
export async function closeAttempts(scope: Scope, quiz: Quiz, closing: Closing[]): Promise<void> {
  if (closing.length === 0) return;
  const questions = new Map((await QuizQuestion.query(scope.db).where('quiz_id', quiz.id)).map((q) => [q.id, q]));
  const attemptIds = closing.map((c) => c.attempt.id);
  const answers = await QuizAnswer.query(scope.db).select('id', 'question_id', 'response').whereIn('attempt_id', attemptIds);
  const graded = answers.map((a) => {
    const question = questions.get(a.question_id);
    return { id: a.id, score: question ? scoreResponse(gradable(question), a.response) : null };
  });
  await setAnswerScores(scope, graded);
  await scope.db.raw(
    `update quiz_attempts a set submitted_at = v.submitted_at, finished_by = v.finished_by, updated_at = ?
       from unnest(?::uuid[], ?::timestamptz[], ?::text[]) as v(id, submitted_at, finished_by)
      where a.tenant_id = ? and a.id = v.id and a.submitted_at is null`,
    [now(scope), attemptIds, closing.map((c) => c.submittedAt.toISOString()), closing.map((c) => c.finishedBy), scope.tenant.id],
  );
  await refreshAttemptTotals(scope, attemptIds);
  await recount(scope, quiz, [...new Set(closing.map((c) => c.attempt.student_id))]);
  for (const c of closing) {
    await audit(scope, 'quiz.attempt_submitted', { type: 'quiz_attempt', id: c.attempt.id }, { quiz_id: quiz.id, finished_by: c.finishedBy });
  }
}

export async function setAnswerScores(scope: Scope, scores: { id: string; score: number | null }[]): Promise<void> {
  if (scores.length === 0) return;
  await scope.db.raw(
    `update quiz_answers a set score = v.score
       from unnest(?::uuid[], ?::numeric[]) as v(id, score)
      where a.tenant_id = ? and a.id = v.id`,
    // nulls inside a bound array are fine for pg; knex's typing does not allow for them.
    [scores.map((s) => s.id), scores.map((s) => s.score) as unknown as number[], scope.tenant.id],
  );
}

/** An attempt's score is the sum of its answers' scores; it needs grading while an answered
 * question waits for a teacher (score null). Unanswered questions count 0. */
export async function refreshAttemptTotals(scope: Scope, attemptIds: string[]): Promise<void> {
  if (attemptIds.length === 0) return;
  await scope.db.raw(
    `update quiz_attempts a set
        score = coalesce((select sum(s.score) from quiz_answers s where s.tenant_id = a.tenant_id and s.attempt_id = a.id), 0),
        needs_grading = exists (select 1 from quiz_answers s where s.tenant_id = a.tenant_id and s.attempt_id = a.id and s.score is null and s.response is not null),
        updated_at = ?
      where a.tenant_id = ? and a.id = any(?::uuid[]) and a.submitted_at is not null`,
    [now(scope), scope.tenant.id, attemptIds],
  );
}

const COUNTED_ORDER = {
  highest: 'score desc nulls last, number asc',
  latest: 'number desc',
  first: 'number asc',
} as const;

/** Marks, per student, the one submitted attempt that counts (quizzes.counted_attempt); ties on
 * the highest score go to the earlier attempt. Two statements, so the unique index on counted
 * attempts never sees two at once. */
export async function recount(scope: Scope, quiz: Pick<Quiz, 'id' | 'counted_attempt'>, studentIds?: string[]): Promise<void> {
  const students = studentIds ? 'and student_id = any(?::uuid[])' : '';
  const bind = () => [scope.tenant.id, quiz.id, ...(studentIds ? [studentIds] : [])];
  const chosen = `select distinct on (student_id) id from quiz_attempts
                   where tenant_id = ? and quiz_id = ? and submitted_at is not null ${students}
                   order by student_id, ${COUNTED_ORDER[quiz.counted_attempt]}`;
  await scope.db.raw(`update quiz_attempts set counted = false where tenant_id = ? and quiz_id = ? and counted ${students} and id not in (${chosen})`, [
    ...bind(),
    ...bind(),
  ]);
  await scope.db.raw(`update quiz_attempts set counted = true where tenant_id = ? and quiz_id = ? and not counted ${students} and id in (${chosen})`, [
    ...bind(),
    ...bind(),
  ]);
  // A passed quiz may complete a lesson, and so the course (a certificate): api/courses/progress.ts.
  await quizActivity(scope, quiz.id, studentIds);
}

/** Closes attempts of this quiz left in progress past their deadline and the grace (of these
 * students, or all). Time alone ends an attempt; whoever looks first makes it so. */
export async function closeExpired(scope: Scope, quiz: Quiz, studentIds?: string[]): Promise<number> {
  const cutoff = new Date(now(scope).getTime() - GRACE_SECONDS * 1000);
  const expired = () => {
    const q = QuizAttempt.query(scope.db).where('quiz_id', quiz.id).whereNull('submitted_at').where('deadline_at', '<', cutoff);
    if (studentIds) q.whereIn('student_id', studentIds);
    return q;
  };
  const candidates = await expired().select('student_id');
  if (candidates.length === 0) return 0;
  await lockQuiz(scope, quiz.id, 'shared');
  await lockStudentAttempts(scope, quiz.id, [...new Set(candidates.map((c) => c.student_id))]);
  // Read again under the locks: a submit may have won the race.
  const closing = (await expired()).map((attempt) => ({ attempt, submittedAt: new Date(attempt.deadline_at as Date), finishedBy: 'deadline' as const }));
  await closeAttempts(scope, quiz, closing);
  return closing.length;
}
