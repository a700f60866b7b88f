// Records → views, showing only the parts the field rules allow (visibility.ts decides the set).
// The answer key is read from `key` in exactly one place (keyView), reached only with the `key`
// field; a question's authoring view (with `correct`) only through the quiz's `questions` field.
import { renderMarkdown } from '../content/markdown.ts';
import { schoolClock } from '../content/school-time.ts';
import { now, type Scope } from '../scope.ts';
import { type Key, type Quiz, type QuizAnswer, type QuizAttempt, type QuizQuestion, toNumber } from './model.ts';
import { GRACE_SECONDS, releasedForAll } from './policy.ts';
import type { AttemptField, QuizField } from './rules.ts';
import type { AttemptQuestionView, AttemptView, QuestionView, QuizView } from './schema.ts';
import { quizFieldsFor, relationTo } from './visibility.ts';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

// Prompts are rendered on every attempt view; hundreds of students open the same quiz at once.
const rendered = new Map<string, string>();
function promptHtml(q: QuizQuestion): string {
  const cacheKey = `${q.id}:${new Date(q.updated_at).getTime()}`;
  let html = rendered.get(cacheKey);
  if (html === undefined) {
    html = renderMarkdown(q.prompt);
    if (rendered.size >= 5000) rendered.clear();
    rendered.set(cacheKey, html);
  }
  return html;
}

/** One quiz as the signed-in person may see it (their relation to its class decides the fields). */
export async function presentQuizFor(scope: Scope, quiz: Quiz): Promise<QuizView> {
  const at = now(scope);
  return presentQuiz(scope, quiz, quizFieldsFor(scope, quiz, await relationTo(scope, quiz.class_id), at), at);
}

export function presentQuiz(scope: Scope, quiz: Quiz, fields: ReadonlySet<QuizField>, now: Date): QuizView {
  const view: QuizView = { id: quiz.id, class_id: quiz.class_id, title: quiz.title };
  if (fields.has('instructions')) {
    view.instructions = quiz.instructions;
    view.instructions_html = renderMarkdown(quiz.instructions);
  }
  if (fields.has('window')) {
    view.opens_at = iso(quiz.opens_at);
    view.opens_at_local = schoolClock(scope, quiz.opens_at);
    view.closes_at = iso(quiz.closes_at);
    view.closes_at_local = schoolClock(scope, quiz.closes_at);
  }
  if (fields.has('time_limit_minutes')) view.time_limit_minutes = quiz.time_limit_minutes;
  if (fields.has('attempts_allowed')) view.attempts_allowed = quiz.attempts_allowed;
  if (fields.has('counted_attempt')) view.counted_attempt = quiz.counted_attempt;
  if (fields.has('shuffle')) {
    view.shuffle_questions = quiz.shuffle_questions;
    view.shuffle_options = quiz.shuffle_options;
  }
  if (fields.has('release')) {
    view.score_release = quiz.score_release;
    view.correctness_release = quiz.correctness_release;
    view.answers_release = quiz.answers_release;
  }
  if (fields.has('released')) {
    view.score_released = releasedForAll(quiz, 'score', now);
    view.correctness_released = releasedForAll(quiz, 'correctness', now);
    view.answers_released = releasedForAll(quiz, 'answers', now);
  }
  if (fields.has('leaderboard')) view.leaderboard = quiz.leaderboard;
  if (fields.has('status')) {
    view.status = quiz.status;
    view.published_at = iso(quiz.published_at);
  }
  if (fields.has('points_possible')) view.points_possible = Number(quiz.points_possible);
  if (fields.has('question_count')) view.question_count = quiz.question_count;
  if (fields.has('timestamps')) {
    view.created_at = iso(quiz.created_at) as string;
    view.updated_at = iso(quiz.updated_at) as string;
  }
  return view;
}

/** The authoring view, key included: only for those who may read the quiz's `questions`. */
export function presentQuestion(q: QuizQuestion): QuestionView {
  const view: QuestionView = {
    id: q.id,
    quiz_id: q.quiz_id,
    position: q.position,
    type: q.type,
    prompt: q.prompt,
    prompt_html: promptHtml(q),
    points: Number(q.points),
    grading: q.grading,
  };
  const right = new Set(q.key.correct_option_ids ?? []);
  if (q.type === 'single_choice' || q.type === 'multiple_choice') view.options = q.options.map((o) => ({ id: o.id, text: o.text, correct: right.has(o.id) }));
  if (q.type === 'multiple_choice') view.scoring = q.scoring ?? 'all_or_nothing';
  if (q.type === 'true_false') view.correct = q.key.correct === true;
  if (q.type === 'short_answer' && q.grading === 'auto') view.accepted_answers = q.key.accepted_answers ?? [];
  if (q.type === 'numeric') {
    view.answer = q.key.answer as number;
    view.tolerance = q.key.tolerance ?? 0;
  }
  return view;
}

/** The right answers of one question, as a student sees them once the key is released. */
function keyView(q: QuizQuestion): Key | undefined {
  const key = q.key;
  switch (q.type) {
    case 'single_choice':
    case 'multiple_choice':
      return { correct_option_ids: key.correct_option_ids ?? [] };
    case 'true_false':
      return { correct: key.correct === true };
    case 'short_answer':
      return q.grading === 'auto' ? { accepted_answers: key.accepted_answers ?? [] } : undefined;
    case 'numeric':
      return { answer: key.answer as number, tolerance: key.tolerance ?? 0 };
    default:
      return undefined;
  }
}

export type AttemptParts = {
  attempt: QuizAttempt;
  quiz: Quiz;
  fields: ReadonlySet<AttemptField>;
  now: Date;
  /** Needed for the `questions` field; left out for summaries. */
  questions?: QuizQuestion[];
  answers?: QuizAnswer[];
};

export function presentAttempt({ attempt, quiz, fields, now, questions, answers }: AttemptParts): AttemptView {
  const submitted = attempt.submitted_at !== null;
  const view: AttemptView = {
    id: attempt.id,
    quiz_id: attempt.quiz_id,
    student_id: attempt.student_id,
    number: attempt.number,
    status: submitted ? 'submitted' : 'in_progress',
  };
  if (fields.has('times')) {
    view.started_at = iso(attempt.started_at) as string;
    view.deadline_at = iso(attempt.deadline_at);
    view.submitted_at = iso(attempt.submitted_at);
    view.finished_by = attempt.finished_by;
    view.seconds_left = !submitted && attempt.deadline_at ? Math.max(0, Math.floor((new Date(attempt.deadline_at).getTime() - now.getTime()) / 1000)) : null;
    view.grace_seconds = GRACE_SECONDS;
  }
  const scored = fields.has('score');
  if (scored) {
    view.score = toNumber(attempt.score);
    view.points_possible = Number(quiz.points_possible);
    view.needs_grading = attempt.needs_grading;
    view.counted = attempt.counted;
  }
  if (fields.has('questions') && questions) {
    const byId = new Map(questions.map((q) => [q.id, q]));
    const answerOf = new Map((answers ?? []).map((a) => [a.question_id, a]));
    const ordered = attempt.question_order.map((id) => byId.get(id)).filter((q): q is QuizQuestion => q !== undefined);
    view.questions = ordered.map((q, index) => {
      const item: AttemptQuestionView = {
        id: q.id,
        position: index + 1,
        type: q.type,
        prompt: q.prompt,
        prompt_html: promptHtml(q),
        points: Number(q.points),
      };
      if (q.type === 'single_choice' || q.type === 'multiple_choice') item.options = orderedOptions(q, attempt.option_order[q.id]);
      const answer = answerOf.get(q.id);
      if (fields.has('responses')) {
        item.response = answer?.response ?? null;
        item.saved_at = answer ? iso(answer.updated_at) : null;
      }
      if (fields.has('correctness') && submitted) {
        // Unanswered questions of a submitted attempt scored 0.
        item.score = answer ? toNumber(answer.score) : 0;
        item.feedback = answer?.feedback ?? null;
      }
      if (fields.has('key')) {
        const key = keyView(q);
        if (key) item.key = key;
      }
      return item;
    });
  }
  return view;
}

function orderedOptions(q: QuizQuestion, order: string[] | undefined): { id: string; text: string }[] {
  const options = q.options.map((o) => ({ id: o.id, text: o.text }));
  if (!order) return options;
  const byId = new Map(options.map((o) => [o.id, o]));
  return order.map((id) => byId.get(id)).filter((o): o is { id: string; text: string } => o !== undefined);
}

export function leaderboardName(firstName: string, lastName: string): string {
  const initial = lastName.trim().charAt(0).toUpperCase();
  return initial ? `${firstName.trim()} ${initial}.` : firstName.trim();
}
