// The scoring formulas (api/quizzes/grading.ts) and the release rules (api/quizzes/policy.ts):
// pure functions, tested directly.
import test from 'ava';
import { type GradableQuestion, normaliseText, partialCredit, round2, scoreResponse } from '../../api/quizzes/grading.ts';
import type { Quiz, QuizAttempt } from '../../api/quizzes/model.ts';
import { deadlineFor, isExpired, releasedFor, releasedForAll, releaseOrderProblem } from '../../api/quizzes/policy.ts';

const q = (fields: Partial<GradableQuestion> & Pick<GradableQuestion, 'type'>): GradableQuestion => ({
  points: 1,
  options: [],
  key: {},
  scoring: null,
  grading: 'auto',
  ...fields,
});

test('single choice: full points for the right option, 0 otherwise, 0 when blank', (t) => {
  const question = q({
    type: 'single_choice',
    points: 2,
    options: [
      { id: 'a', text: 'A' },
      { id: 'b', text: 'B' },
    ],
    key: { correct_option_ids: ['b'] },
  });
  t.is(scoreResponse(question, { option_id: 'b' }), 2);
  t.is(scoreResponse(question, { option_id: 'a' }), 0);
  t.is(scoreResponse(question, { option_id: 'gone' }), 0);
  t.is(scoreResponse(question, null), 0);
});

test('multiple choice, all or nothing: exactly the right set', (t) => {
  const question = q({ type: 'multiple_choice', points: 3, scoring: 'all_or_nothing', key: { correct_option_ids: ['a', 'b'] } });
  t.is(scoreResponse(question, { option_ids: ['b', 'a'] }), 3);
  t.is(scoreResponse(question, { option_ids: ['a'] }), 0);
  t.is(scoreResponse(question, { option_ids: ['a', 'b', 'c'] }), 0);
  t.is(scoreResponse(question, { option_ids: [] }), 0);
});

test('multiple choice, partial: max(0, (right chosen − wrong chosen) / right count) × points', (t) => {
  const question = q({ type: 'multiple_choice', points: 3, scoring: 'partial', key: { correct_option_ids: ['a', 'b', 'c'] } });
  t.is(scoreResponse(question, { option_ids: ['a', 'b', 'c'] }), 3);
  t.is(scoreResponse(question, { option_ids: ['a', 'b'] }), 2);
  t.is(scoreResponse(question, { option_ids: ['a', 'b', 'x'] }), 1, '(2 − 1) / 3 × 3');
  t.is(scoreResponse(question, { option_ids: ['a', 'x', 'y'] }), 0, 'floored at zero, never negative');
  t.is(scoreResponse(question, { option_ids: ['x'] }), 0);
  const thirds = q({ type: 'multiple_choice', points: 1, scoring: 'partial', key: { correct_option_ids: ['a', 'b', 'c'] } });
  t.is(scoreResponse(thirds, { option_ids: ['a'] }), 0.33, 'rounded to the cent');
  t.is(scoreResponse(thirds, { option_ids: ['a', 'b'] }), 0.67);
  t.is(partialCredit(2, 1, 4), 0.25);
  t.is(partialCredit(1, 3, 2), 0);
  t.is(partialCredit(1, 0, 0), 0);
});

test('true/false', (t) => {
  const question = q({ type: 'true_false', points: 1, key: { correct: false } });
  t.is(scoreResponse(question, { value: false }), 1);
  t.is(scoreResponse(question, { value: true }), 0);
  t.is(scoreResponse(question, { value: 'false' }), 0, 'a string is not a boolean');
});

test('short answer: trimmed, whitespace collapsed, case-insensitive', (t) => {
  const question = q({ type: 'short_answer', points: 2, key: { accepted_answers: ['New York', 'NYC'] } });
  t.is(scoreResponse(question, { text: '  new   YORK ' }), 2);
  t.is(scoreResponse(question, { text: 'nyc' }), 2);
  t.is(scoreResponse(question, { text: 'New Jersey' }), 0);
  t.is(scoreResponse(question, { text: '   ' }), 0);
  t.is(normaliseText(' A\tb  C\n'), 'a b c');
});

test('short answer graded by hand, and long answers: null (waits for a teacher) unless blank', (t) => {
  const manual = q({ type: 'short_answer', grading: 'manual', points: 2 });
  t.is(scoreResponse(manual, { text: 'anything' }), null);
  t.is(scoreResponse(manual, { text: ' ' }), 0);
  const essay = q({ type: 'long_answer', grading: 'manual', points: 5 });
  t.is(scoreResponse(essay, { text: 'An essay' }), null);
  t.is(scoreResponse(essay, null), 0);
});

test('numeric: within the tolerance, inclusive, with float slack', (t) => {
  const question = q({ type: 'numeric', points: 2, key: { answer: 9.81, tolerance: 0.05 } });
  t.is(scoreResponse(question, { value: 9.81 }), 2);
  t.is(scoreResponse(question, { value: 9.86 }), 2, 'the edge counts');
  t.is(scoreResponse(question, { value: 9.87 }), 0);
  t.is(scoreResponse(question, { value: 9.75 }), 0);
  const exact = q({ type: 'numeric', points: 1, key: { answer: 0.3, tolerance: 0 } });
  t.is(scoreResponse(exact, { value: 0.1 + 0.2 }), 1);
  t.is(scoreResponse(exact, { value: '0.3' }), 0);
  t.is(round2(0.1 + 0.2), 0.3);
});

const at = (iso: string) => new Date(iso);
const quiz = (fields: Partial<Quiz>): Quiz =>
  ({
    score_release: 'after_attempt',
    correctness_release: 'after_close',
    answers_release: 'after_close',
    score_released_at: null,
    correctness_released_at: null,
    answers_released_at: null,
    closes_at: null,
    opens_at: null,
    attempts_allowed: 1,
    time_limit_minutes: null,
    ...fields,
  }) as Quiz;
const attempt = (fields: Partial<QuizAttempt>): QuizAttempt => ({ submitted_at: null, deadline_at: null, ...fields }) as QuizAttempt;

test('the deadline is the earlier of the time limit and the closing time', (t) => {
  const start = at('2026-12-01T09:00:00Z');
  t.deepEqual(deadlineFor(start, quiz({ time_limit_minutes: 30 })), at('2026-12-01T09:30:00Z'));
  t.deepEqual(deadlineFor(start, quiz({ time_limit_minutes: 30, closes_at: at('2026-12-01T09:10:00Z') })), at('2026-12-01T09:10:00Z'));
  t.is(deadlineFor(start, quiz({})), null);
  const running = attempt({ deadline_at: at('2026-12-01T09:30:00Z') });
  t.false(isExpired(running, at('2026-12-01T09:30:30Z')), 'the grace is inclusive');
  t.true(isExpired(running, at('2026-12-01T09:30:31Z')));
});

test('release: each part at its own moment, never before the parts it would give away', (t) => {
  const closes_at = at('2026-12-01T10:00:00Z');
  const open = at('2026-12-01T09:00:00Z');
  const inGrace = at('2026-12-01T10:00:29Z');
  const closed = at('2026-12-01T10:00:30Z');
  const done = attempt({ submitted_at: open });
  const parts = (q: Quiz, a: QuizAttempt, now: Date) => (['score', 'correctness', 'answers'] as const).filter((p) => releasedFor(q, p, a, now));

  const defaults = quiz({ closes_at, attempts_allowed: 1 });
  t.deepEqual(parts(defaults, done, open), ['score'], 'by default the score after the attempt, even with no attempt left');
  t.deepEqual(parts(defaults, attempt({}), open), [], 'nothing for an attempt in progress');
  t.deepEqual(parts(defaults, done, inGrace), ['score'], 'not while attempts that ended at the close may still save');
  t.deepEqual(parts(defaults, done, closed), ['score', 'correctness', 'answers']);
  t.false(releasedForAll(defaults, 'score', open), 'after each attempt is not “for everyone”');
  t.true(releasedForAll(defaults, 'answers', closed));
  t.deepEqual(parts(quiz({ attempts_allowed: 1 }), done, at('2030-01-01T00:00:00Z')), ['score'], 'after_close on a quiz that never closes: by hand only');

  const early = quiz({ closes_at, correctness_release: 'after_attempt' });
  t.deepEqual(parts(early, done, open), ['score', 'correctness']);
  const allNow = quiz({ closes_at, correctness_release: 'after_attempt', answers_release: 'after_attempt' });
  t.deepEqual(parts(allNow, done, open), ['score', 'correctness', 'answers']);

  const manual = quiz({ closes_at, score_release: 'manual', correctness_release: 'manual', answers_release: 'manual' });
  t.deepEqual(parts(manual, done, closed), [], 'manual: closing releases nothing');
  t.deepEqual(parts(quiz({ ...manual, score_released_at: open }), done, open), ['score']);
  t.deepEqual(parts(quiz({ ...manual, score_released_at: open, correctness_released_at: open }), done, open), ['score', 'correctness']);
  t.deepEqual(parts(quiz({ ...manual, answers_released_at: open }), done, open), [], 'a part is never out before the ones it gives away');
  t.deepEqual(parts(quiz({ ...defaults, score_release: 'manual', answers_released_at: open }), done, closed), [], 'even when its own moment has come');

  t.is(releaseOrderProblem(quiz({})), null);
  t.is(releaseOrderProblem(quiz({ score_release: 'after_close', correctness_release: 'after_attempt' })), 'correctness');
  t.is(releaseOrderProblem(quiz({ score_release: 'manual', correctness_release: 'manual', answers_release: 'after_close' })), 'answers');
});
