// Quiz pages. Students: the quiz (window, time limit, attempts, their standing), starting or
// carrying on an attempt, taking it (all questions on one page; api/web/assets/quiz.js autosaves
// each change through the API, counts down from the server's deadline and submits when time is
// up; without JavaScript the form saves everything on submit), and results as the teacher
// releases them. Teachers: each student's result and per-question statistics.
import { z } from 'zod';
import { findClass } from '../classes/service.ts';
import { AppError } from '../errors.ts';
import { readAttempt, saveAnswer, startAttempt, submitAttempt } from '../quizzes/attempts.ts';
import { presentAttempt, presentQuestion, presentQuizFor } from '../quizzes/presenter.ts';
import { addQuestion, listQuestions } from '../quizzes/questions.ts';
import { myResults, quizResults, quizStatistics } from '../quizzes/results.ts';
import { type AttemptQuestionView, createQuizInput, QUESTION_TYPE_NAMES, type QuestionView, questionInput } from '../quizzes/schema.ts';
import { createQuiz, findQuiz, publishQuiz } from '../quizzes/service.ts';
import type { Scope } from '../scope.ts';
import { checkForm } from './forms.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const LIST = 100;
/** `?layout=one`: one question per screen (api/web/assets/quiz-pages.js); otherwise all on one page. */
const layoutQuery = z.object({ layout: z.enum(['one', 'all']).optional() });

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

/** A question as a student taking the quiz gets it: no key, no right options, nothing answered. */
function asStudentSees(q: QuestionView): AttemptQuestionView {
  return {
    id: q.id,
    position: q.position,
    type: q.type,
    prompt: q.prompt,
    prompt_html: q.prompt_html,
    points: q.points,
    ...(q.options ? { options: q.options.map((o) => ({ id: o.id, text: o.text })) } : {}),
  };
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

const settingsForm = z.object({
  _csrf: z.string().max(200).optional(),
  title: z.string().max(1000),
  instructions: z.string().max(100_000),
  time_limit_minutes: z.string().max(10),
  attempts_allowed: z.string().max(20),
  opens_at: z.string().max(40),
  closes_at: z.string().max(40),
  score_release: z.string().max(40),
  correctness_release: z.string().max(40),
  answers_release: z.string().max(40),
});
const questionForm = z.object({
  _csrf: z.string().max(200).optional(),
  type: z.string().max(40),
  prompt: z.string().max(20_000),
  points: z.string().max(20),
  options: z.string().max(20_000).optional(),
  scoring: z.string().max(40).optional(),
  correct: z.string().max(10).optional(),
  accepted_answers: z.string().max(20_000).optional(),
  answer: z.string().max(40).optional(),
  tolerance: z.string().max(40).optional(),
});

const wallClock = (v: string) => (v.trim() === '' ? null : v.length === 16 ? `${v}:00` : v);
const numberOr = <T>(v: string | undefined, otherwise: T) => (v === undefined || v.trim() === '' ? otherwise : Number(v.replace(',', '.')));

/** The settings form as the API's quiz input: empty means "not set". */
function quizInputFromForm(body: z.infer<typeof settingsForm>) {
  return {
    title: body.title,
    instructions: body.instructions,
    time_limit_minutes: numberOr(body.time_limit_minutes, null),
    attempts_allowed: body.attempts_allowed === 'unlimited' ? null : numberOr(body.attempts_allowed, 1),
    opens_at: wallClock(body.opens_at),
    closes_at: wallClock(body.closes_at),
    score_release: body.score_release,
    correctness_release: body.correctness_release,
    answers_release: body.answers_release,
  };
}

/** The question form as the API's question input. Options are one per line; a leading `*` marks
 * a right one. Accepted answers are one per line. */
export function questionInputFromForm(body: z.infer<typeof questionForm>) {
  const lines = (v: string | undefined) =>
    (v ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const base = { type: body.type, prompt: body.prompt, points: numberOr(body.points, 1) };
  switch (body.type) {
    case 'single_choice':
    case 'multiple_choice':
      return {
        ...base,
        options: lines(body.options).map((l) => ({ text: l.replace(/^\*\s*/, ''), correct: l.startsWith('*') })),
        ...(body.type === 'multiple_choice' ? { scoring: body.scoring === 'partial' ? 'partial' : 'all_or_nothing' } : {}),
      };
    case 'true_false':
      return { ...base, correct: body.correct === 'true' };
    case 'short_answer': {
      const accepted = lines(body.accepted_answers);
      return { ...base, grading: accepted.length ? 'auto' : 'manual', ...(accepted.length ? { accepted_answers: accepted } : {}) };
    }
    case 'numeric':
      return { ...base, answer: numberOr(body.answer, Number.NaN), tolerance: numberOr(body.tolerance, 0) };
    default:
      return base;
  }
}

async function builderPage(scope: Scope, id: string, extra: Record<string, unknown> = {}) {
  const quiz = await presentQuizFor(scope, await findQuiz(scope, id, 'update'));
  const questions = (await listQuestions(scope, id, { limit: LIST })).data.map(presentQuestion);
  return { title: `Edit · ${quiz.title}`, quiz, questions, types: QUESTION_TYPE_NAMES, ...extra };
}

export const quizPages = [
  pageRoute({
    method: 'get',
    path: '/classes/:id/quizzes/new',
    summary: 'Create a quiz: the settings form',
    access: { action: 'create', subject: 'Quiz' },
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const klass = await findClass(scope, params.id, 'update');
      return page(scope, deps, 'quiz-settings', { title: 'New quiz', klass: { id: klass.id, name: klass.name }, form: { attempts_allowed: '1' } });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/quizzes',
    summary: 'Create a quiz (a draft) and go on to its questions',
    access: { action: 'create', subject: 'Quiz' },
    params: idParams,
    form: true,
    body: settingsForm,
    handler: async ({ scope, deps, params, body }) => {
      const checked = checkForm(createQuizInput, quizInputFromForm(body));
      if (!checked.ok) {
        const klass = await findClass(scope, params.id, 'update');
        return {
          ...page(scope, deps, 'quiz-settings', { title: 'New quiz', klass: { id: klass.id, name: klass.name }, form: body, errors: checked.errors }),
          status: 422,
        };
      }
      const quiz = await createQuiz(scope, params.id, checked.data);
      return { redirect: `/quizzes/${quiz.id}/edit` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/quizzes/:id/edit',
    summary: 'The quiz builder: questions, adding one, publishing',
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    handler: async ({ scope, deps, params }) =>
      page(scope, deps, 'quiz-builder', await builderPage(scope, params.id, { form: { type: 'single_choice', points: '1' } })),
  }),
  pageRoute({
    method: 'post',
    path: '/quizzes/:id/questions',
    summary: 'Add a question of any of the six types',
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    form: true,
    body: questionForm,
    handler: async ({ scope, deps, params, body }) => {
      const checked = checkForm(questionInput, questionInputFromForm(body));
      if (!checked.ok)
        return { ...page(scope, deps, 'quiz-builder', await builderPage(scope, params.id, { form: body, errors: checked.errors })), status: 422 };
      try {
        await addQuestion(scope, params.id, checked.data);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) {
          return {
            ...page(scope, deps, 'quiz-builder', await builderPage(scope, params.id, { form: body, errors: { form: error.message } })),
            status: error.status,
          };
        }
        throw error;
      }
      return { redirect: `/quizzes/${params.id}/edit` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/quizzes/:id/publish',
    summary: 'Publish the quiz to the class',
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, deps, params }) => {
      try {
        await publishQuiz(scope, params.id);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) {
          return {
            ...page(scope, deps, 'quiz-builder', await builderPage(scope, params.id, { publishError: error.message, form: { type: 'single_choice' } })),
            status: error.status,
          };
        }
        throw error;
      }
      return { redirect: `/quizzes/${params.id}` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/quizzes/:id/preview',
    summary: 'Preview a quiz as a student sees it (teachers); nothing is recorded',
    // Admitted like a read (a quiz this person cannot see is 404 before 403); the guard is
    // findQuiz(…, 'update') below, the one check: test/web/quiz-modes.test.ts "the preview refuses…".
    access: { action: 'read', subject: 'Quiz' },
    allowReadOnly: true,
    params: idParams,
    query: layoutQuery,
    handler: async ({ scope, deps, params, query }) => {
      const quiz = await presentQuizFor(scope, await findQuiz(scope, params.id, 'update'));
      const questions = (await listQuestions(scope, params.id, { limit: LIST })).data.map((q) => formQuestion(asStudentSees(presentQuestion(q))));
      return page(scope, deps, 'quiz-preview', { title: `Preview · ${quiz.title}`, quiz, questions, one: query.layout === 'one', scripts: ['quiz-pages.js'] });
    },
  }),
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
    access: { action: 'submit', subject: 'Quiz' },
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
    query: layoutQuery,
    handler: async ({ scope, deps, params, query }) => {
      const attempt = presentAttempt(await readAttempt(scope, params.id));
      const quiz = await presentQuizFor(scope, await findQuiz(scope, attempt.quiz_id));
      const questions = (attempt.questions ?? []).map(formQuestion);
      return page(scope, deps, 'quiz-attempt', {
        title: quiz.title,
        quiz,
        attempt,
        questions,
        taking: attempt.status === 'in_progress',
        one: query.layout === 'one',
        scripts: ['quiz.js', 'quiz-pages.js'],
      });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/quiz-attempts/:id/submit',
    summary: 'Submit the attempt; the form’s answers are saved first (so it works without JavaScript)',
    access: { action: 'submit', subject: 'QuizAttempt' },
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
