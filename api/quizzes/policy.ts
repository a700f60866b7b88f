// Time and release rules: pure functions of a quiz, an attempt and "now" (always now(scope),
// the injectable clock). The service enforces them; the presenter turns them into the facts that
// the field rules in rules.ts test.
import type { Quiz, QuizAttempt, ReleaseMoment } from './model.ts';

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

/** What a teacher releases to a student (and, for the score, their guardians), in order: each
 * part gives the one before it away (per-question scores add up to the score; the key and the
 * student's own answers say which were right), so a part is only ever out once the ones before
 * it are. */
export const RELEASE_PARTS = ['score', 'correctness', 'answers'] as const;
export type ReleasePart = (typeof RELEASE_PARTS)[number];
/** after_attempt: once that attempt is submitted; after_close: once the quiz has closed for
 * everyone; manual: only when a teacher releases it (any part can also be released early by hand). */
export const RELEASE_MOMENTS = ['after_attempt', 'after_close', 'manual'] as const satisfies readonly ReleaseMoment[];
export type { ReleaseMoment } from './model.ts';

export type Release = Pick<
  Quiz,
  'closes_at' | 'score_release' | 'correctness_release' | 'answers_release' | 'score_released_at' | 'correctness_released_at' | 'answers_released_at'
>;

/** The quizzes columns a Release is read from (for readers outside this feature). */
export const RELEASE_COLUMNS = [
  'closes_at',
  'score_release',
  'correctness_release',
  'answers_release',
  'score_released_at',
  'correctness_released_at',
  'answers_released_at',
] as const satisfies readonly (keyof Release)[];

const momentOf = (quiz: Release, part: ReleasePart): ReleaseMoment => quiz[`${part}_release`];
const releasedByHand = (quiz: Release, part: ReleasePart): boolean => quiz[`${part}_released_at`] !== null;
const upTo = (part: ReleasePart) => RELEASE_PARTS.slice(0, RELEASE_PARTS.indexOf(part) + 1);

/** Later than closes_at by the grace: attempts that ended at the close may still save answers
 * until then, so nothing that could help them is out before. */
export function closedForEveryone(quiz: Pick<Quiz, 'closes_at'>, now: Date): boolean {
  return quiz.closes_at !== null && now.getTime() >= new Date(quiz.closes_at).getTime() + GRACE_SECONDS * 1000;
}

/** The part is out for the whole class: released by hand, or the quiz has closed for everyone
 * and the part's moment is not manual (and so for every part before it). */
export function releasedForAll(quiz: Release, part: ReleasePart, now: Date): boolean {
  return upTo(part).every((p) => releasedByHand(quiz, p) || (momentOf(quiz, p) !== 'manual' && closedForEveryone(quiz, now)));
}

/** The part is out for this attempt's student: the attempt is submitted, and the part (and every
 * part before it) is released after each attempt, or out for the whole class. */
export function releasedFor(quiz: Release, part: ReleasePart, attempt: Pick<QuizAttempt, 'submitted_at'>, now: Date): boolean {
  if (attempt.submitted_at === null) return false;
  return upTo(part).every((p) => momentOf(quiz, p) === 'after_attempt' || releasedForAll(quiz, p, now));
}

/** The student (and their guardians) may see this attempt's score. */
export function scoreReleased(quiz: Release, attempt: Pick<QuizAttempt, 'submitted_at'>, now: Date): boolean {
  return releasedFor(quiz, 'score', attempt, now);
}

/** A part may not be released at an earlier moment than a part before it (the database refuses it
 * too): the field whose moment is too early, or null. */
export function releaseOrderProblem(quiz: Pick<Release, 'score_release' | 'correctness_release' | 'answers_release'>): ReleasePart | null {
  for (let i = 1; i < RELEASE_PARTS.length; i++) {
    const before = RELEASE_PARTS[i - 1] as ReleasePart;
    const part = RELEASE_PARTS[i] as ReleasePart;
    if (RELEASE_MOMENTS.indexOf(quiz[`${part}_release`]) < RELEASE_MOMENTS.indexOf(quiz[`${before}_release`])) return part;
  }
  return null;
}

export function attemptsLeft(quiz: Pick<Quiz, 'attempts_allowed'>, started: number): number | null {
  return quiz.attempts_allowed === null ? null : Math.max(0, quiz.attempts_allowed - started);
}
