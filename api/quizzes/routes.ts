import { z } from 'zod';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { forbidden } from '../errors.ts';
import { tenantRoute } from '../http/route.ts';
import { now } from '../scope.ts';
import { gradeAnswer, listAttempts, partsFor, readAttempt, saveAnswer, startAttempt, submitAttempt } from './attempts.ts';
import { presentAttempt, presentQuestion, presentQuiz, presentQuizFor } from './presenter.ts';
import { addQuestion, deleteQuestion, listQuestions, regradeQuestion, updateQuestion } from './questions.ts';
import { myResults, quizLeaderboard, quizResults, quizStatistics } from './results.ts';
import {
  answerInput,
  answerView,
  attemptView,
  createQuizInput,
  gradeInput,
  leaderboardEntryView,
  myResultsView,
  questionInput,
  questionStatsView,
  questionView,
  quizView,
  regradeInput,
  resultRowView,
  updateQuestionInput,
  updateQuizInput,
} from './schema.ts';
import { createQuiz, deleteQuiz, findQuiz, listQuizzes, publishQuiz, updateQuiz } from './service.ts';
import { quizFieldsFor, relationTo } from './visibility.ts';

const idParams = z.object({ id: z.uuid() });
const questionParams = z.object({ id: z.uuid(), questionId: z.uuid() });
const studentQuery = z.object({ student_id: z.uuid().optional().describe('Whose: required for guardians, teachers and admins.') });
const tags = ['quizzes'];

/** The quiz as this viewer may see it (CASL field rules). */
export const quizRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/quizzes',
    summary: 'A class’s quizzes',
    description: 'Students and guardians see published quizzes only, and never their questions.',
    tags,
    access: { action: 'read', subject: 'Quiz' },
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of quizzes, by title', schema: pageSchema(quizView) } },
    handler: async ({ scope, params, query }) => {
      const page = await listQuizzes(scope, params.id, query);
      const relation = await relationTo(scope, params.id);
      const at = now(scope);
      return { body: { data: page.data.map((q) => presentQuiz(scope, q, quizFieldsFor(scope, q, relation, at), at)), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/quizzes',
    idempotent: true,
    summary: 'Create a quiz (a draft)',
    tags,
    access: { action: 'create', subject: 'Quiz' },
    params: idParams,
    body: createQuizInput,
    responses: { 201: { description: 'Created', schema: quizView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: await presentQuizFor(scope, await createQuiz(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id',
    summary: 'One quiz',
    description: 'Its settings; questions are listed separately, for those who may see them.',
    tags,
    access: { action: 'read', subject: 'Quiz' },
    params: idParams,
    responses: { 200: { description: 'The quiz', schema: quizView } },
    handler: async ({ scope, params }) => ({ body: await presentQuizFor(scope, await findQuiz(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/quizzes/:id',
    summary: 'Change a quiz’s settings, or release its results',
    description: 'A new closing time or time limit also moves the deadlines of attempts in progress.',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    body: updateQuizInput,
    responses: { 200: { description: 'The changed quiz', schema: quizView } },
    handler: async ({ scope, params, body }) => ({ body: await presentQuizFor(scope, await updateQuiz(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/quizzes/:id',
    summary: 'Delete a quiz nobody has attempted',
    tags,
    access: { action: 'delete', subject: 'Quiz' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteQuiz(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/quizzes/:id/publish',
    summary: 'Publish a quiz (it needs at least one question)',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    responses: { 200: { description: 'The published quiz', schema: quizView } },
    handler: async ({ scope, params }) => ({ body: await presentQuizFor(scope, await publishQuiz(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/questions',
    summary: 'A quiz’s questions with their answer key (teachers and admins)',
    description: 'Students see questions only inside an attempt.',
    tags,
    access: { action: 'read', subject: 'Quiz' },
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of questions, in order', schema: pageSchema(questionView) } },
    handler: async ({ scope, params, query }) => {
      const quiz = await findQuiz(scope, params.id);
      const fields = quizFieldsFor(scope, quiz, await relationTo(scope, quiz.class_id), now(scope));
      if (!fields.has('questions')) throw forbidden('Questions are shown inside an attempt.');
      const page = await listQuestions(scope, quiz.id, query);
      return { body: { data: page.data.map(presentQuestion), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/quizzes/:id/questions',
    summary: 'Add a question',
    description: 'Only before any student has started the quiz. Unknown types are refused.',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: idParams,
    body: questionInput,
    responses: { 201: { description: 'Added', schema: questionView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: presentQuestion(await addQuestion(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/quizzes/:id/questions/:questionId',
    summary: 'Change or move a question',
    description: 'Only before any student has started the quiz; afterwards, regrade.',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: questionParams,
    body: updateQuestionInput,
    responses: { 200: { description: 'The changed question', schema: questionView } },
    handler: async ({ scope, params, body }) => ({ body: presentQuestion(await updateQuestion(scope, params.id, params.questionId, body)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/quizzes/:id/questions/:questionId',
    summary: 'Remove a question',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: questionParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ scope, params }) => {
      await deleteQuestion(scope, params.id, params.questionId);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/quizzes/:id/questions/:questionId/regrade',
    summary: 'Correct a question’s key and rescore every submitted attempt',
    tags,
    access: { action: 'update', subject: 'Quiz' },
    params: questionParams,
    body: regradeInput,
    responses: {
      200: {
        description: 'The corrected question and how many answers changed',
        schema: z.object({ question: questionView, attempts_regraded: z.number(), scores_changed: z.number() }),
      },
    },
    handler: async ({ scope, params, body }) => {
      const result = await regradeQuestion(scope, params.id, params.questionId, body);
      return { body: { question: presentQuestion(result.question), attempts_regraded: result.attempts_regraded, scores_changed: result.scores_changed } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/quizzes/:id/attempts',
    idempotent: true,
    summary: 'Start an attempt (students)',
    description: 'Returns the attempt in progress if there is one. Refused (409) outside the window or with no attempts left.',
    tags,
    // Read here so that everyone gets the same 404 for a quiz they cannot see; the service
    // then requires `submit` (403 for staff and guardians who can see it).
    access: { action: 'submit', subject: 'Quiz' },
    params: idParams,
    responses: {
      200: { description: 'The attempt already in progress', schema: attemptView },
      201: { description: 'Started', schema: attemptView },
    },
    handler: async ({ scope, params }) => {
      const { quiz, attempt, created } = await startAttempt(scope, params.id);
      return { status: created ? 201 : 200, body: presentAttempt(await partsFor(scope, quiz, attempt, true)) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/attempts',
    summary: 'Attempts at a quiz you may see',
    description: 'Teachers: all; students: their own; guardians: their students’. Scores only as the results policy allows.',
    tags,
    access: { action: 'read', subject: 'QuizAttempt' },
    writes: true,
    params: idParams,
    query: pageQuery.extend(studentQuery.shape),
    responses: { 200: { description: 'A page of attempts', schema: pageSchema(attemptView) } },
    handler: async ({ scope, params, query }) => {
      const page = await listAttempts(scope, params.id, { student_id: query.student_id }, query);
      return { body: { data: page.data.map(presentAttempt), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/results',
    summary: 'Each student’s result (teachers and admins)',
    tags,
    access: { action: 'grade', subject: 'Quiz' },
    writes: true,
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of the roster, by last name', schema: pageSchema(resultRowView) } },
    handler: async ({ scope, params, query }) => ({ body: await quizResults(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/statistics',
    summary: 'Per-question statistics over counted attempts (teachers and admins)',
    tags,
    access: { action: 'grade', subject: 'Quiz' },
    writes: true,
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of questions, in order', schema: pageSchema(questionStatsView).extend({ counted_attempts: z.number() }) } },
    handler: async ({ scope, params, query }) => ({ body: await quizStatistics(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/leaderboard',
    summary: 'Top counted scores',
    description: 'Teachers always; enrolled students when the teacher turned it on and results are released.',
    tags,
    access: { action: 'read', subject: 'Quiz' },
    writes: true,
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of the ranking', schema: pageSchema(leaderboardEntryView) } },
    handler: async ({ scope, params, query }) => ({ body: await quizLeaderboard(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quizzes/:id/my-results',
    summary: 'One student’s standing at a quiz',
    description: 'A student’s own; a guardian passes student_id of a linked student. The score only as the results policy allows.',
    tags,
    access: { action: 'read', subject: 'Quiz' },
    writes: true,
    params: idParams,
    query: studentQuery,
    responses: { 200: { description: 'The standing', schema: myResultsView } },
    handler: async ({ scope, params, query }) => ({ body: await myResults(scope, params.id, query.student_id) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/quiz-attempts/:id',
    summary: 'An attempt: questions in the student’s order with saved answers',
    description: 'Score and right answers only when the results policy allows. An attempt past its deadline is closed first.',
    tags,
    access: { action: 'read', subject: 'QuizAttempt' },
    writes: true,
    params: idParams,
    responses: { 200: { description: 'The attempt', schema: attemptView } },
    handler: async ({ scope, params }) => ({ body: presentAttempt(await readAttempt(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/quiz-attempts/:id/answers/:questionId',
    summary: 'Autosave an answer',
    description: 'Idempotent; the last save wins (or the highest sequence). After the deadline and grace: 409 attempt-closed.',
    tags,
    access: { action: 'submit', subject: 'QuizAttempt' },
    params: questionParams,
    body: answerInput,
    responses: { 200: { description: 'The stored answer', schema: answerView } },
    handler: async ({ scope, params, body }) => ({ body: await saveAnswer(scope, params.id, params.questionId, body) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/quiz-attempts/:id/submit',
    summary: 'Submit an attempt; it is graded at once',
    description: 'Submitting again returns the same, already graded attempt.',
    tags,
    access: { action: 'submit', subject: 'QuizAttempt' },
    params: idParams,
    responses: { 200: { description: 'The submitted attempt', schema: attemptView } },
    handler: async ({ scope, params }) => {
      const { quiz, attempt } = await submitAttempt(scope, params.id);
      return { body: presentAttempt(await partsFor(scope, quiz, attempt, true)) };
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/quiz-attempts/:id/grades/:questionId',
    summary: 'Grade a hand-graded question of an attempt',
    tags,
    access: { action: 'grade', subject: 'QuizAttempt' },
    params: questionParams,
    body: gradeInput,
    responses: { 200: { description: 'The attempt with its new score', schema: attemptView } },
    handler: async ({ scope, params, body }) => {
      const { quiz, attempt } = await gradeAnswer(scope, params.id, params.questionId, body);
      return { body: presentAttempt(await partsFor(scope, quiz, attempt, true)) };
    },
  }),
];
