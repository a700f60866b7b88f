// The lock order every quiz write follows, so that none of them can deadlock another:
//   1. the quiz's advisory lock: shared for work on attempts (start, submit, close at the deadline,
//      grade by hand), exclusive for changes to the quiz or its key (questions, regrade, settings);
//   2. then attempt rows, FOR UPDATE, in id order.
// Autosaves take neither: only their own attempt row FOR SHARE, which a submit waits for, so no
// answer can slip in after the attempt was graded. Advisory locks live in memory (no row writes),
// which matters when hundreds of submits arrive in the same minute.
import type { Scope } from '../scope.ts';

export async function lockQuiz(scope: Scope, quizId: string, mode: 'shared' | 'exclusive'): Promise<void> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await scope.db.raw(`select ${fn}(hashtextextended(?, 0))`, [`quiz:${quizId}`]);
}

/** All attempts of these students at this quiz, locked in id order. */
export async function lockStudentAttempts(scope: Scope, quizId: string, studentIds: string[]): Promise<void> {
  if (studentIds.length === 0) return;
  await scope.db.raw('select id from quiz_attempts where tenant_id = ? and quiz_id = ? and student_id = any(?::uuid[]) order by id for update', [
    scope.tenant.id,
    quizId,
    studentIds,
  ]);
}
