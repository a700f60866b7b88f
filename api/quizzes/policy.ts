// Time and release rules: pure functions of a quiz, an attempt and "now" (always now(scope),
// the injectable clock). The service enforces them; the presenter turns them into the facts that
// the field rules in rules.ts test.
import type { Quiz, QuizAttempt } from './model.ts';

/** Answers that arrive this long after an attempt's deadline still count: a save sent at the last
 * second over a slow school network. Later ones are refused (problem type attempt-closed). */
export const GRACE_SECONDS = 30;

type Window = Pick<Quiz, 'opens_at' | 'closes_at'>;
type Timing = Pick<QuizAttempt, 'deadline_at' | 'submitted_at'>;

/** min(start + time limit, closes_at); null when neither bounds the attempt. */
export function deadlineFor(startedAt: Date, quiz: Pick<Quiz, 'time_limit_minutes' | 'closes_at'>): Date | null {
  const byLimit = quiz.time_limit_minutes ? new Date(startedAt.getTime() + quiz.time_limit_minutes * 60_000) : null;
  const byClose = quiz.closes_at ? new Date(quiz.closes_at) : null;
  if (byLimit && byClose) return byLimit < byClose ? byLimit : byClose;
  return byLimit ?? byClose;
}

export function graceEnds(attempt: Pick<QuizAttempt, 'deadline_at'>): Date | null {
  return attempt.deadline_at ? new Date(new Date(attempt.deadline_at).getTime() + GRACE_SECONDS * 1000) : null;
}

/** Still in progress, but past its deadline and the grace: it must be closed (auto-submitted). */
export function isExpired(attempt: Timing, now: Date): boolean {
  const ends = graceEnds(attempt);
  return attempt.submitted_at === null && ends !== null && now > ends;
}

export function acceptsAnswers(attempt: Timing, now: Date): boolean {
  return attempt.submitted_at === null && !isExpired(attempt, now);
}

export function isClosed(quiz: Pick<Quiz, 'closes_at'>, now: Date): boolean {
  return quiz.closes_at !== null && now >= new Date(quiz.closes_at);
}

export function windowProblem(quiz: Window, now: Date): 'not_open' | 'closed' | null {
  if (quiz.opens_at !== null && now < new Date(quiz.opens_at)) return 'not_open';
  if (isClosed(quiz, now)) return 'closed';
  return null;
}

type Release = Pick<Quiz, 'results_policy' | 'results_released_at' | 'closes_at'>;

/** Results of the whole quiz are out: released by hand, or closed under a policy that releases. */
export function resultsReleased(quiz: Release, now: Date): boolean {
  if (quiz.results_released_at !== null) return true;
  return quiz.results_policy !== 'never' && isClosed(quiz, now);
}

/** The student (and their guardians) may see this attempt's score. */
export function scoreReleased(quiz: Release, attempt: Pick<QuizAttempt, 'submitted_at'>, now: Date): boolean {
  if (attempt.submitted_at === null) return false;
  return quiz.results_policy === 'immediately' || resultsReleased(quiz, now);
}

/** How many attempts the student has started, and whether one is still open. */
export type Usage = { started: number; open: boolean };

/** The student may see the right answers for this attempt: its score is released, and the key can
 * no longer help them, because the quiz has closed or they can start no further attempt. */
export function keyReleased(quiz: Release & Pick<Quiz, 'attempts_allowed'>, attempt: Pick<QuizAttempt, 'submitted_at'>, usage: Usage, now: Date): boolean {
  if (!scoreReleased(quiz, attempt, now)) return false;
  if (isClosed(quiz, now)) return true;
  return quiz.attempts_allowed !== null && usage.started >= quiz.attempts_allowed && !usage.open;
}

export function attemptsLeft(quiz: Pick<Quiz, 'attempts_allowed'>, started: number): number | null {
  return quiz.attempts_allowed === null ? null : Math.max(0, quiz.attempts_allowed - started);
}
