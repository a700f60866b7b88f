// Quiz pages. Students: the quiz (window, time limit, attempts, their standing), starting or
// carrying on an attempt, taking it (all questions on one page; api/web/assets/quiz.js autosaves
// each change through the API, counts down from the server's deadline and submits when time is
// up; without JavaScript the form saves everything on submit), and results as the teacher
// releases them. Teachers: each student's result and per-question statistics.
import { z } from 'zod';
import { findClass } from '../classes/service.ts';
import { AppError } from '../errors.ts';
import { readAttempt, saveAnswer, startAttempt, submitAttempt } from '../quizzes/attempts.ts';
import { presentAttempt, presentQuizFor } from '../quizzes/presenter.ts';
import { myResults, quizResults, quizStatistics } from '../quizzes/results.ts';
import type { AttemptQuestionView } from '../quizzes/schema.ts';
import { findQuiz } from '../quizzes/service.ts';
import type { Scope } from '../scope.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const LIST = 100;

async function quizPage(scope: Scope, id: string, extra: Record<string, unknown> = {}) {
  const quiz = await findQuiz(scope, id);
  const view = await presentQuizFor(scope, quiz);
  const klass = await findClass(scope, quiz.class_id);
  const role = scope.actor.type === 'user' ? scope.actor.user.role : undefined;
  const grades = scope.ability.can('grade', 'Quiz');
  const mine = role === 'student' ? await myResults(scope, id, undefined) : undefined;
  const results = grades ? (await quizResults(scope, id, { limit: LIST })).data : [];
  const statistics = grades ? (await quizStatistics(scope, id, { limit: LIST })).data : [];
  return { title: view.title, quiz: view, klass: { id: klass.id, name: klass.name }, mine, results, statistics, grades, ...extra };
}

/** A form field's value as the API's answer for the question (api/quizzes/schema.ts answerInput). */
export function responseFromForm(question: AttemptQuestionView, value: unknown): Record<string, unknown> | null | undefined {
  const values = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  const first = values[0];
  switch (question.type) {
    case 'single_choice':
      return first ? { option_id: first } : undefined;
    case 'multiple_choice':
      return { option_ids: values.filter((v) => v !== '') };
    case 'true_false':
      return first === 'true' || first === 'false' ? { value: first === 'true' } : undefined;
    case 'numeric': {
      if (first === undefined || first.trim() === '') return undefined;
      const n = Number(first.replace(',', '.'));
      return Number.isFinite(n) ? { value: n } : undefined;
    }
    case 'short_answer':
    case 'long_answer':
      return first === undefined ? undefined : { text: first };
  }
}

/** A question with its saved answer put into form terms (checked options, a value). */
function formQuestion(q: AttemptQuestionView) {
  const response = (q.response ?? null) as { option_id?: string; option_ids?: string[]; value?: boolean | number; text?: string } | null;
  const chosen = new Set(response?.option_ids ?? (response?.option_id ? [response.option_id] : []));
  return {
    ...q,
    [`is_${q.type}`]: true,
    options: (q.options ?? []).map((o) => ({ ...o, checked: chosen.has(o.id) })),
    isTrue: response?.value === true,
    isFalse: response?.value === false,
    value: typeof response?.value === 'number' ? String(response.value) : (response?.text ?? ''),
  };
}

export const quizPages = [
  pageRoute({
    method: 'get',
    path: '/quizzes/:id',
    summary: 'A quiz: its window and rules, my standing (students), results and statistics (teachers)',
    access: { action: 'read', subject: 'Quiz' },
    allowReadOnly: true,
    // Closes attempts whose time ran out before reading, as the API's results do.
    writes: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'quiz', await quizPage(scope, params.id)),
  }),
  pageRoute({
    method: 'post',
    path: '/quizzes/:id/start',
    summary: 'Start an attempt (or carry on the one in progress)',
    access: { action: 'read', subject: 'Quiz' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, deps, params }) => {
      try {
        const { attempt } = await startAttempt(scope, params.id);
        return { redirect: `/quiz-attempts/${attempt.id}` };
      } catch (error) {
        if (error instanceof AppError && error.status === 409)
          return { ...page(scope, deps, 'quiz', await quizPage(scope, params.id, { startError: error.message })), status: 409 };
        throw error;
      }
    },
  }),
  pageRoute({
    method: 'get',
    path: '/quiz-attempts/:id',
    summary: 'Taking a quiz (or, once submitted, the results as released)',
    access: { action: 'read', subject: 'QuizAttempt' },
    allowReadOnly: true,
    writes: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const attempt = presentAttempt(await readAttempt(scope, params.id));
      const quiz = await presentQuizFor(scope, await findQuiz(scope, attempt.quiz_id));
      const questions = (attempt.questions ?? []).map(formQuestion);
      return page(scope, deps, 'quiz-attempt', { title: quiz.title, quiz, attempt, questions, taking: attempt.status === 'in_progress', scripts: ['quiz.js'] });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/quiz-attempts/:id/submit',
    summary: 'Submit the attempt; the form’s answers are saved first (so it works without JavaScript)',
    access: { action: 'read', subject: 'QuizAttempt' },
    params: idParams,
    form: true,
    body: z.record(z.string().max(100), z.union([z.string().max(20_000), z.array(z.string().max(1000)).max(100)])),
    handler: async ({ scope, params, body }) => {
      const attempt = presentAttempt(await readAttempt(scope, params.id));
      if (attempt.status === 'in_progress') {
        try {
          for (const question of attempt.questions ?? []) {
            const response = responseFromForm(question, body[`q_${question.id}`]);
            // Unanswered questions keep what autosave stored.
            if (response !== undefined) await saveAnswer(scope, params.id, question.id, { response });
          }
          await submitAttempt(scope, params.id);
        } catch (error) {
          // Past the deadline and its grace the attempt was closed with what autosave kept.
          if (!(error instanceof AppError && error.code === 'attempt-closed')) throw error;
        }
      }
      return { redirect: `/quiz-attempts/${params.id}` };
    },
  }),
];
