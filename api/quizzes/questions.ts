// A quiz's questions: authoring (while no student has started it) and regrading (after). Once an
// attempt exists the questions are frozen, because each attempt stores its own order of them;
// the only change left is a corrected key, applied to every submitted attempt by regrade.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { audit } from '../audit/service.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { conflict, type FieldError, invalid, notFound } from '../errors.ts';
import { now, type Scope } from '../scope.ts';
import { round2, scoreResponse } from './grading.ts';
import { lockQuiz } from './locks.ts';
import { type Key, type Option, type Quiz, QuizAnswer, QuizQuestion } from './model.ts';
import { MAX_QUESTIONS, type QuestionInput, questionInput, type RegradeInput, type UpdateQuestionInput } from './schema.ts';
import { gradable, recount, refreshAttemptTotals, setAnswerScores } from './scoring.ts';
import { changeableQuiz, hasAttempts, refreshQuizTotals } from './service.ts';

type StoredQuestion = Pick<QuizQuestion, 'type' | 'prompt' | 'points' | 'options' | 'key' | 'scoring' | 'grading'>;

const newOptionId = () => `o${randomBytes(4).toString('hex')}`;

/** Authoring input → what is stored: options without their `correct` marks, the key apart. */
export function toStored(input: QuestionInput): StoredQuestion {
  const base = {
    type: input.type,
    prompt: input.prompt,
    points: String(round2(input.points)),
    options: [] as Option[],
    scoring: null,
    grading: 'auto' as const,
  };
  switch (input.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const taken = new Set(input.options.map((o) => o.id).filter(Boolean));
      const options = input.options.map((o) => {
        let id = o.id;
        while (!id || (taken.has(id) && o.id !== id)) id = newOptionId();
        taken.add(id);
        return { id, text: o.text, correct: o.correct };
      });
      return {
        ...base,
        options: options.map(({ id, text }) => ({ id, text })),
        key: { correct_option_ids: options.filter((o) => o.correct).map((o) => o.id) },
        scoring: input.type === 'multiple_choice' ? input.scoring : null,
      };
    }
    case 'true_false':
      return { ...base, key: { correct: input.correct } };
    case 'short_answer':
      return input.grading === 'manual' ? { ...base, key: {}, grading: 'manual' } : { ...base, key: { accepted_answers: input.accepted_answers ?? [] } };
    case 'numeric':
      return { ...base, key: { answer: input.answer, tolerance: input.tolerance } };
    case 'long_answer':
      return { ...base, key: {}, grading: 'manual' };
  }
}

/** Stored → authoring shape, for merging a partial change into it. */
function toAuthoring(q: QuizQuestion): Record<string, unknown> {
  const base = { type: q.type, prompt: q.prompt, points: Number(q.points) };
  const right = new Set(q.key.correct_option_ids ?? []);
  switch (q.type) {
    case 'single_choice':
      return { ...base, options: q.options.map((o) => ({ ...o, correct: right.has(o.id) })) };
    case 'multiple_choice':
      return { ...base, options: q.options.map((o) => ({ ...o, correct: right.has(o.id) })), scoring: q.scoring ?? 'all_or_nothing' };
    case 'true_false':
      return { ...base, correct: q.key.correct };
    case 'short_answer':
      return q.grading === 'manual' ? { ...base, grading: 'manual' } : { ...base, grading: 'auto', accepted_answers: q.key.accepted_answers };
    case 'numeric':
      return { ...base, answer: q.key.answer, tolerance: q.key.tolerance ?? 0 };
    case 'long_answer':
      return base;
  }
}

const bodyErrors = (error: z.ZodError): FieldError[] => error.issues.map((i) => ({ in: 'body', field: i.path.join('.'), message: i.message }));

const jsonb = (q: Partial<StoredQuestion>) => ({
  ...q,
  ...(q.options !== undefined ? { options: JSON.stringify(q.options) } : {}),
  ...(q.key !== undefined ? { key: JSON.stringify(q.key) } : {}),
});

/** findQuiz for authoring questions: changeable, locked, and not yet attempted. */
async function authorableQuiz(scope: Scope, quizId: string): Promise<Quiz> {
  const quiz = await changeableQuiz(scope, quizId, 'update');
  await lockQuiz(scope, quiz.id, 'exclusive');
  if (await hasAttempts(scope, quiz.id)) {
    throw conflict('Students have started this quiz, so its questions are fixed. To correct an answer key, regrade the question.');
  }
  return quiz;
}

async function findQuestion(scope: Scope, quizId: string, questionId: string): Promise<QuizQuestion> {
  const question = await QuizQuestion.query(scope.db).findOne({ id: questionId, quiz_id: quizId });
  if (!question) throw notFound('The question');
  return question;
}

export async function listQuestions(scope: Scope, quizId: string, page: PageQuery): Promise<Page<QuizQuestion>> {
  const query = QuizQuestion.query(scope.db).where('quiz_questions.quiz_id', quizId);
  return paginate<QuizQuestion>(query, page, { sort: 'quiz_questions.position', id: 'quiz_questions.id', sortOf: (q) => q.position, idOf: (q) => q.id });
}

export async function addQuestion(scope: Scope, quizId: string, input: QuestionInput): Promise<QuizQuestion> {
  const quiz = await authorableQuiz(scope, quizId);
  const count = await questionCount(scope, quiz.id);
  if (count >= MAX_QUESTIONS) throw invalid([{ in: 'body', field: '', message: `a quiz holds at most ${MAX_QUESTIONS} questions` }]);
  const created = await QuizQuestion.query(scope.db).insertAndFetch({
    ...jsonb(toStored(input)),
    tenant_id: scope.tenant.id,
    quiz_id: quiz.id,
    position: count + 1,
  } as Partial<QuizQuestion>);
  if (input.position !== undefined && input.position <= count) await placeQuestion(scope, quiz.id, created.id, input.position);
  await refreshQuizTotals(scope, quiz.id);
  return (await QuizQuestion.query(scope.db).findById(created.id)) as QuizQuestion;
}

export async function updateQuestion(scope: Scope, quizId: string, questionId: string, input: UpdateQuestionInput): Promise<QuizQuestion> {
  const quiz = await authorableQuiz(scope, quizId);
  const current = await findQuestion(scope, quiz.id, questionId);
  const { position, ...change } = input;
  const base =
    change.type && change.type !== current.type ? { type: change.type, prompt: current.prompt, points: Number(current.points) } : toAuthoring(current);
  const parsed = questionInput.safeParse({ ...base, ...change });
  if (!parsed.success) throw invalid(bodyErrors(parsed.error));
  await QuizQuestion.query(scope.db)
    .patch({ ...jsonb(toStored(parsed.data)), updated_at: now(scope) } as Partial<QuizQuestion>)
    .where({ id: current.id });
  if (position !== undefined) await placeQuestion(scope, quiz.id, current.id, position);
  await refreshQuizTotals(scope, quiz.id);
  return (await QuizQuestion.query(scope.db).findById(current.id)) as QuizQuestion;
}

export async function deleteQuestion(scope: Scope, quizId: string, questionId: string): Promise<void> {
  const quiz = await authorableQuiz(scope, quizId);
  const current = await findQuestion(scope, quiz.id, questionId);
  await QuizQuestion.query(scope.db).deleteById(current.id);
  await placeQuestion(scope, quiz.id);
  await refreshQuizTotals(scope, quiz.id);
}

async function questionCount(scope: Scope, quizId: string): Promise<number> {
  const row = (await scope.db('quiz_questions').where('quiz_id', quizId).count({ n: '*' }).first()) as { n: string | number };
  return Number(row.n);
}

/** Renumbers the questions 1..n, with `questionId` (if given) moved to `position`. */
async function placeQuestion(scope: Scope, quizId: string, questionId?: string, position?: number): Promise<void> {
  const ids = (await scope.db('quiz_questions').where('quiz_id', quizId).orderBy(['position', 'id']).select('id')).map((r: { id: string }) => r.id);
  if (questionId && position !== undefined) {
    ids.splice(ids.indexOf(questionId), 1);
    ids.splice(Math.min(position - 1, ids.length), 0, questionId);
  }
  await scope.db.raw(
    `update quiz_questions q set position = v.position
       from unnest(?::uuid[], ?::int[]) as v(id, position)
      where q.tenant_id = ? and q.id = v.id and q.position is distinct from v.position`,
    [ids, ids.map((_, i) => i + 1), scope.tenant.id],
  );
}

export type RegradeResult = { question: QuizQuestion; attempts_regraded: number; scores_changed: number };

/** Fixes a question's key (and points or scoring) and rescores every submitted attempt's answer
 * to it; attempts in progress are graded with the new key when they close. */
export async function regradeQuestion(scope: Scope, quizId: string, questionId: string, input: RegradeInput): Promise<RegradeResult> {
  const quiz = await changeableQuiz(scope, quizId, 'update');
  await lockQuiz(scope, quiz.id, 'exclusive');
  const current = await findQuestion(scope, quiz.id, questionId);
  if (current.type === 'long_answer' || current.grading === 'manual') {
    throw conflict('This question is graded by hand: change its grades per attempt instead.');
  }
  const key = regradedKey(current, input);
  const points = input.points !== undefined ? String(round2(input.points)) : current.points;
  const scoring = current.type === 'multiple_choice' ? (input.scoring ?? current.scoring) : null;
  await QuizQuestion.query(scope.db)
    .patch({ key: JSON.stringify(key) as unknown as Key, points, scoring, updated_at: now(scope) })
    .where({ id: current.id });
  const question = (await QuizQuestion.query(scope.db).findById(current.id)) as QuizQuestion;
  await refreshQuizTotals(scope, quiz.id);

  const attempts: { id: string }[] = (
    await scope.db.raw('select id from quiz_attempts where tenant_id = ? and quiz_id = ? and submitted_at is not null order by id for update', [
      scope.tenant.id,
      quiz.id,
    ])
  ).rows;
  const answers = await QuizAnswer.query(scope.db)
    .select('id', 'attempt_id', 'response', 'score')
    .where('question_id', current.id)
    .whereIn(
      'attempt_id',
      attempts.map((a) => a.id),
    );
  const rescored = answers.map((a) => ({
    id: a.id,
    attempt_id: a.attempt_id,
    before: a.score === null ? null : Number(a.score),
    score: scoreResponse(gradable(question), a.response),
  }));
  const changed = rescored.filter((r) => r.before !== r.score);
  await setAnswerScores(scope, changed);
  const touched = [...new Set(changed.map((c) => c.attempt_id))];
  await refreshAttemptTotals(scope, touched);
  await recount(scope, quiz);
  await audit(
    scope,
    'quiz.question_regraded',
    { type: 'quiz', id: quiz.id },
    {
      question_id: current.id,
      fields: Object.keys(input),
      attempts_regraded: answers.length,
      scores_changed: changed.length,
    },
  );
  return { question, attempts_regraded: answers.length, scores_changed: changed.length };
}

function regradedKey(q: QuizQuestion, input: RegradeInput): Key {
  const errors: FieldError[] = [];
  const fieldsFor: Record<QuizQuestion['type'], (keyof RegradeInput)[]> = {
    single_choice: ['correct_option_ids'],
    multiple_choice: ['correct_option_ids', 'scoring'],
    true_false: ['correct'],
    short_answer: ['accepted_answers'],
    numeric: ['answer', 'tolerance'],
    long_answer: [],
  };
  const allowed = new Set<keyof RegradeInput>([...fieldsFor[q.type], 'points']);
  for (const field of Object.keys(input) as (keyof RegradeInput)[]) {
    if (!allowed.has(field)) errors.push({ in: 'body', field, message: `does not apply to a ${q.type} question` });
  }
  const key: Key = { ...q.key };
  if (input.correct_option_ids) {
    const ids = new Set(q.options.map((o) => o.id));
    const chosen = [...new Set(input.correct_option_ids)];
    if (chosen.some((id) => !ids.has(id))) errors.push({ in: 'body', field: 'correct_option_ids', message: 'names an option this question does not have' });
    if (q.type === 'single_choice' && chosen.length !== 1)
      errors.push({ in: 'body', field: 'correct_option_ids', message: 'a single_choice question has exactly one' });
    key.correct_option_ids = chosen;
  }
  if (input.correct !== undefined) key.correct = input.correct;
  if (input.accepted_answers) key.accepted_answers = input.accepted_answers;
  if (input.answer !== undefined) key.answer = input.answer;
  if (input.tolerance !== undefined) key.tolerance = input.tolerance;
  if (errors.length > 0) throw invalid(errors);
  return key;
}
