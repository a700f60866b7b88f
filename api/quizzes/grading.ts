// Scoring one response to one question: pure functions, no database, no clock. The formulas are
// documented in api/quizzes/CONTEXT.md and tested in test/quizzes/grading.test.ts.
import type { Grading, Key, Option, QuestionType, Scoring } from './model.ts';

export type GradableQuestion = {
  type: QuestionType;
  points: number;
  options: Option[];
  key: Key;
  scoring: Scoring | null;
  grading: Grading;
};

/** Scores are kept to the cent (numeric(8,2)); rounding each question keeps sums exact. */
export const round2 = (n: number): number => Math.round((n + Number.EPSILON) * 100) / 100;

/** How short answers are compared: trimmed, runs of whitespace collapsed, lower-cased (and
 * Unicode-normalised, so "é" typed two ways is one answer). */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Canvas-style partial credit for multiple choice: each right option chosen earns a share,
 * each wrong option chosen takes one back, never below zero:
 *   max(0, (right chosen − wrong chosen) / number of right options). */
export function partialCredit(rightChosen: number, wrongChosen: number, rightCount: number): number {
  if (rightCount <= 0) return 0;
  return Math.max(0, (rightChosen - wrongChosen) / rightCount);
}

/** Numeric answers within the tolerance are right; a hair of float slack so 0.1 + 0.2 counts as 0.3. */
export function withinTolerance(value: number, answer: number, tolerance: number): boolean {
  return Math.abs(value - answer) <= tolerance + 1e-9 * Math.max(1, Math.abs(answer));
}

export function needsTeacher(question: Pick<GradableQuestion, 'type' | 'grading'>): boolean {
  return question.type === 'long_answer' || question.grading === 'manual';
}

const isBlank = (response: unknown): boolean => {
  if (response === null || response === undefined) return true;
  const r = response as Record<string, unknown>;
  if (typeof r.text === 'string') return r.text.trim() === '';
  if (Array.isArray(r.option_ids)) return r.option_ids.length === 0;
  return false;
};

/** The points a response earns, or null when a teacher must grade it. Blank and malformed
 * responses earn 0 (a key fixed after answers were saved can leave an option id unknown). */
export function scoreResponse(question: GradableQuestion, response: unknown): number | null {
  if (needsTeacher(question)) return isBlank(response) ? 0 : null;
  if (isBlank(response)) return 0;
  const r = response as Record<string, unknown>;
  const { key, points } = question;
  switch (question.type) {
    case 'single_choice':
      return typeof r.option_id === 'string' && (key.correct_option_ids ?? []).includes(r.option_id) ? points : 0;
    case 'multiple_choice': {
      if (!Array.isArray(r.option_ids)) return 0;
      const chosen = new Set(r.option_ids.filter((id): id is string => typeof id === 'string'));
      const right = new Set(key.correct_option_ids ?? []);
      let rightChosen = 0;
      let wrongChosen = 0;
      for (const id of chosen) {
        if (right.has(id)) rightChosen++;
        else wrongChosen++;
      }
      if (question.scoring === 'partial') return round2(points * partialCredit(rightChosen, wrongChosen, right.size));
      return rightChosen === right.size && wrongChosen === 0 ? points : 0;
    }
    case 'true_false':
      return typeof r.value === 'boolean' && r.value === key.correct ? points : 0;
    case 'short_answer': {
      if (typeof r.text !== 'string') return 0;
      const given = normaliseText(r.text);
      return (key.accepted_answers ?? []).some((a) => normaliseText(a) === given) ? points : 0;
    }
    case 'numeric':
      return typeof r.value === 'number' && typeof key.answer === 'number' && withinTolerance(r.value, key.answer, key.tolerance ?? 0) ? points : 0;
    default:
      return 0;
  }
}
