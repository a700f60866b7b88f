// Attempts: a student starts one, autosaves answers into it, submits it (or time closes it), a
// teacher grades what needs a person. Times come from now(scope), the injectable clock.
import { randomInt } from 'node:crypto';
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { writableClass } from '../classes/service.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { AppError, conflict, invalid, notFound } from '../errors.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { needsTeacher } from './grading.ts';
import { lockQuiz, lockStudentAttempts } from './locks.ts';
import { ATTEMPT_FIELDS, Quiz, QuizAnswer, QuizAttempt, QuizQuestion } from './model.ts';
import { acceptsAnswers, attemptsLeft, deadlineFor, GRACE_SECONDS, isExpired, windowProblem } from './policy.ts';
import type { AttemptParts } from './presenter.ts';
import { type AnswerInput, type AnswerView, type GradeInput, responseSchema } from './schema.ts';
import { closeAttempts, closeExpired, recount, refreshAttemptTotals } from './scoring.ts';
import { findQuiz } from './service.ts';
import { attemptFieldsFor, relationTo } from './visibility.ts';

const accessible = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'QuizAttempt', ATTEMPT_FIELDS);

/** The attempt if the ability allows `action` on it (404 when not even visible, 403 when visible).
 * The autosave reads it inside its own statement, through the same `accessible` filter. */
export function findAttempt(scope: Scope, id: string, action: Action = 'read'): Promise<QuizAttempt> {
  return findAccessible(action, (a) => QuizAttempt.query(scope.db).modify(accessible(scope, a)).findOne({ 'quiz_attempts.id': id }), {
    what: 'The attempt',
    cannot: (a) => (a === 'grade' ? 'You can see this attempt but not grade it.' : 'Only the student who started this attempt can answer or submit it.'),
  });
}

const quizOf = async (scope: Scope, attempt: QuizAttempt) => (await Quiz.query(scope.db).findById(attempt.quiz_id)) as Quiz;
const reload = async (scope: Scope, id: string) => (await QuizAttempt.query(scope.db).findById(id)) as QuizAttempt;

export function attemptClosed(attempt: QuizAttempt): AppError {
  const detail = attempt.submitted_at
    ? 'This attempt has been submitted; answers can no longer change.'
    : `This attempt’s time is up (deadline ${new Date(attempt.deadline_at as Date).toISOString()}, plus ${GRACE_SECONDS} s grace); answers can no longer change.`;
  return new AppError('attempt-closed', detail, { extra: { attempt_id: attempt.id, deadline_at: attempt.deadline_at, submitted_at: attempt.submitted_at } });
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Starts an attempt, or returns the one already in progress (a retried start is harmless). */
export async function startAttempt(scope: Scope, quizId: string): Promise<{ quiz: Quiz; attempt: QuizAttempt; created: boolean }> {
  const quiz = await findQuiz(scope, quizId, 'submit');
  const studentId = actorUserId(scope.actor) as string;
  await writableClass(scope, quiz.class_id, 'read');
  await lockQuiz(scope, quiz.id, 'shared');
  await lockStudentAttempts(scope, quiz.id, [studentId]);
  await closeExpired(scope, quiz, [studentId]);
  const mine = await QuizAttempt.query(scope.db).where({ quiz_id: quiz.id, student_id: studentId });
  const open = mine.find((a) => a.submitted_at === null);
  if (open) return { quiz, attempt: open, created: false };

  const at = now(scope);
  const window = windowProblem(quiz, at);
  if (window === 'not_open') throw conflict(`This quiz opens at ${new Date(quiz.opens_at as Date).toISOString()}.`, { opens_at: quiz.opens_at });
  if (window === 'closed') throw conflict('This quiz has closed.', { closes_at: quiz.closes_at });
  if (attemptsLeft(quiz, mine.length) === 0) throw conflict(`You have used all ${quiz.attempts_allowed} attempts at this quiz.`);

  const questions = await QuizQuestion.query(scope.db).where('quiz_id', quiz.id).orderBy(['position', 'id']).select('id', 'type', 'options');
  const order = questions.map((q) => q.id);
  const optionOrder: Record<string, string[]> = {};
  for (const q of questions) {
    if (q.type !== 'single_choice' && q.type !== 'multiple_choice') continue;
    const ids = q.options.map((o) => o.id);
    optionOrder[q.id] = quiz.shuffle_options ? shuffled(ids) : ids;
  }
  const number = mine.length + 1;
  const inserted = await scope
    .db('quiz_attempts')
    .insert({
      tenant_id: scope.tenant.id,
      quiz_id: quiz.id,
      class_id: quiz.class_id,
      student_id: studentId,
      number,
      started_at: at,
      deadline_at: deadlineFor(at, quiz),
      question_order: JSON.stringify(quiz.shuffle_questions ? shuffled(order) : order),
      option_order: JSON.stringify(optionOrder),
      created_at: at,
      updated_at: at,
    })
    .onConflict()
    .ignore()
    .returning('id');
  if (inserted.length === 0) {
    // A simultaneous start by the same student won; theirs is this attempt.
    const theirs = await QuizAttempt.query(scope.db).findOne({ quiz_id: quiz.id, student_id: studentId, number });
    if (!theirs) throw conflict('Another attempt was started at the same moment; try again.');
    return { quiz, attempt: theirs, created: false };
  }
  const attempt = await reload(scope, inserted[0].id as string);
  await audit(scope, 'quiz.attempt_started', { type: 'quiz_attempt', id: attempt.id }, { quiz_id: quiz.id, number });
  return { quiz, attempt, created: true };
}

/** Autosave: idempotent, last write wins (or the highest `sequence`, when the client sends one).
 *
 * One statement (docs/performance.md P7): the attempt, through the same permission filter as
 * every attempt read and locked FOR SHARE (a submit, FOR UPDATE, waits for this save and a save
 * for a submit), its question, and the upsert of the answer. The write is made before the rules
 * are checked here, in JavaScript where they live (open attempt, question of this attempt, a
 * response of the question's shape); a refusal throws, and the request's transaction rolls the
 * write back: a refused save changes nothing. */
export async function saveAnswer(scope: Scope, attemptId: string, questionId: string, input: AnswerInput): Promise<AnswerView> {
  const at = now(scope);
  const sequence = input.sequence ?? null;
  const response = input.response === null ? null : JSON.stringify(input.response);
  type Stored = { response: unknown; client_sequence: string | null; updated_at: Date | string };
  type Saved = QuizAttempt & { question: Pick<QuizQuestion, 'id' | 'type' | 'options'> | null; saved: Stored | null };
  const attempt = await findAccessible<Saved>(
    'submit',
    async (action) => {
      const found = QuizAttempt.query(scope.db)
        .modify(accessible(scope, action))
        .findOne({ 'quiz_attempts.id': attemptId })
        .select(
          'quiz_attempts.*',
          scope.db.raw(
            `(select json_build_object('id', q.id, 'type', q.type, 'options', q.options) from quiz_questions q
               where q.tenant_id = quiz_attempts.tenant_id and q.quiz_id = quiz_attempts.quiz_id and q.id = ?) as question`,
            [questionId],
          ),
        );
      // The visibility probe for a 403 only reads.
      if (action !== 'submit') return found as unknown as PromiseLike<Saved | undefined>;
      const { sql, bindings } = found.forShare().toKnexQuery().toSQL();
      const { rows } = await scope.db.raw(
        `with a as (${sql}),
         saved as (
           insert into quiz_answers (tenant_id, attempt_id, question_id, response, client_sequence, created_at, updated_at)
           select a.tenant_id, a.id, ?, ?::jsonb, ?, ?, ? from a where a.question is not null
           on conflict (tenant_id, attempt_id, question_id) do update
              set response = excluded.response, client_sequence = excluded.client_sequence, updated_at = excluded.updated_at
            where quiz_answers.client_sequence is null or excluded.client_sequence is null or excluded.client_sequence >= quiz_answers.client_sequence
           returning response, client_sequence, updated_at)
         select a.*, (select row_to_json(saved) from saved) as saved from a`,
        [...bindings, questionId, response, sequence, at, at],
      );
      return rows[0] as Saved | undefined;
    },
    { what: 'The attempt', cannot: 'Only the student who started this attempt can answer or submit it.' },
  );
  if (!attempt.question_order.includes(questionId)) throw notFound('The question');
  if (!acceptsAnswers(attempt, at)) throw attemptClosed(attempt);
  const { question } = attempt;
  if (!question) throw notFound('The question');
  if (input.response !== null) {
    const parsed = responseSchema(question).safeParse(input.response);
    if (!parsed.success) {
      throw invalid(parsed.error.issues.map((i) => ({ in: 'body', field: ['response', ...i.path].join('.'), message: i.message })));
    }
  }
  // Not applied: a newer save (a higher sequence) is stored; it is the answer.
  const stored: Stored =
    attempt.saved ??
    (await scope.db('quiz_answers').where({ attempt_id: attempt.id, question_id: questionId }).first('response', 'client_sequence', 'updated_at'));
  return {
    attempt_id: attempt.id,
    question_id: questionId,
    response: stored.response,
    sequence: stored.client_sequence === null ? null : Number(stored.client_sequence),
    saved_at: new Date(stored.updated_at).toISOString(),
    applied: attempt.saved !== null,
  };
}

/** Submits and autogrades. Submitting again (even at the same moment) grades nothing more and
 * returns the same attempt: the second request waits on the row lock, then finds it submitted. */
export async function submitAttempt(scope: Scope, attemptId: string): Promise<{ quiz: Quiz; attempt: QuizAttempt; submitted: boolean }> {
  const found = await findAttempt(scope, attemptId, 'submit');
  const quiz = await quizOf(scope, found);
  await lockQuiz(scope, quiz.id, 'shared');
  await lockStudentAttempts(scope, quiz.id, [found.student_id]);
  const attempt = await reload(scope, found.id);
  if (attempt.submitted_at !== null) return { quiz, attempt, submitted: false };
  const at = now(scope);
  const late = isExpired(attempt, at);
  await closeAttempts(scope, quiz, [{ attempt, submittedAt: late ? new Date(attempt.deadline_at as Date) : at, finishedBy: late ? 'deadline' : 'student' }]);
  return { quiz, attempt: await reload(scope, attempt.id), submitted: true };
}

/** A teacher's score (and feedback) for a question graded by hand. */
export async function gradeAnswer(scope: Scope, attemptId: string, questionId: string, input: GradeInput): Promise<{ quiz: Quiz; attempt: QuizAttempt }> {
  const found = await findAttempt(scope, attemptId, 'grade');
  const quiz = await quizOf(scope, found);
  await writableClass(scope, quiz.class_id, 'read');
  await lockQuiz(scope, quiz.id, 'shared');
  await lockStudentAttempts(scope, quiz.id, [found.student_id]);
  await closeExpired(scope, quiz, [found.student_id]);
  const attempt = await reload(scope, found.id);
  if (attempt.submitted_at === null) throw conflict('This attempt is still in progress; grade it once it is submitted.');
  const question = await QuizQuestion.query(scope.db).findOne({ id: questionId, quiz_id: quiz.id });
  if (!question || !attempt.question_order.includes(question.id)) throw notFound('The question');
  if (!needsTeacher(question)) throw conflict('This question is graded automatically. To change its scores, fix its key and regrade it.');
  if (input.score > Number(question.points)) {
    throw invalid([{ in: 'body', field: 'score', message: `must be at most the question’s ${Number(question.points)} points` }]);
  }
  const at = now(scope);
  // The score before this grading, for the audit log's before/after.
  const previous = await scope.db('quiz_answers').where({ attempt_id: attempt.id, question_id: question.id }).first('score');
  const oldScore = previous?.score === null || previous?.score === undefined ? null : Number(previous.score);
  await scope.db.raw(
    `insert into quiz_answers (tenant_id, attempt_id, question_id, response, score, feedback, graded_by, graded_at, created_at, updated_at)
     values (?, ?, ?, null, ?, ?, ?, ?, ?, ?)
     on conflict (tenant_id, attempt_id, question_id) do update
        set score = excluded.score, feedback = excluded.feedback, graded_by = excluded.graded_by, graded_at = excluded.graded_at`,
    [scope.tenant.id, attempt.id, question.id, input.score, input.feedback ?? null, actorUserId(scope.actor) ?? null, at, at, at],
  );
  await refreshAttemptTotals(scope, [attempt.id]);
  await recount(scope, quiz, [attempt.student_id]);
  await audit(
    scope,
    'quiz.answer_graded',
    { type: 'quiz_attempt', id: attempt.id },
    {
      quiz_id: quiz.id,
      question_id: question.id,
      old_score: oldScore,
      score: input.score,
    },
  );
  return { quiz, attempt: await reload(scope, attempt.id) };
}

/** One attempt with everything its view may need, closed first if its time ran out. */
export async function readAttempt(scope: Scope, attemptId: string): Promise<AttemptParts> {
  let attempt = await findAttempt(scope, attemptId, 'read');
  const quiz = await quizOf(scope, attempt);
  if (isExpired(attempt, now(scope))) {
    await closeExpired(scope, quiz, [attempt.student_id]);
    attempt = await reload(scope, attempt.id);
  }
  return partsFor(scope, quiz, attempt, true);
}

/** The pieces presentAttempt needs, with the viewer's fields decided by the field rules. */
export async function partsFor(scope: Scope, quiz: Quiz, attempt: QuizAttempt, detailed: boolean): Promise<AttemptParts> {
  const at = now(scope);
  const relation = await relationTo(scope, quiz.class_id);
  const fields = attemptFieldsFor(scope, quiz, attempt, relation, at);
  if (!detailed || !fields.has('questions')) return { attempt, quiz, fields, now: at };
  const questions = await QuizQuestion.query(scope.db).where('quiz_id', quiz.id);
  const answers = fields.has('responses') || fields.has('correctness') ? await QuizAnswer.query(scope.db).where('attempt_id', attempt.id) : [];
  return { attempt, quiz, fields, now: at, questions, answers };
}

/** Attempts at a quiz the viewer may read (a teacher: all; a student: theirs; a guardian: their
 * students'), oldest first per student. */
export async function listAttempts(scope: Scope, quizId: string, filter: { student_id?: string }, page: PageQuery): Promise<Page<AttemptParts>> {
  const quiz = await findQuiz(scope, quizId, 'read');
  const query = QuizAttempt.query(scope.db).modify(accessible(scope, 'read')).where('quiz_attempts.quiz_id', quiz.id);
  if (filter.student_id) query.where('quiz_attempts.student_id', filter.student_id);
  const rows = await paginate<QuizAttempt>(query, page, { sort: 'quiz_attempts.number', id: 'quiz_attempts.id', sortOf: (a) => a.number, idOf: (a) => a.id });
  const at = now(scope);
  const students = [...new Set(rows.data.map((a) => a.student_id))];
  if (rows.data.some((a) => isExpired(a, at))) {
    await closeExpired(scope, quiz, students);
    for (const [i, a] of rows.data.entries()) if (isExpired(a, at)) rows.data[i] = await reload(scope, a.id);
  }
  const relation = await relationTo(scope, quiz.class_id);
  return {
    next_cursor: rows.next_cursor,
    data: rows.data.map((attempt) => ({
      attempt,
      quiz,
      now: at,
      fields: attemptFieldsFor(scope, quiz, attempt, relation, at),
    })),
  };
}

/** The job entry point: closes every attempt of the school left in progress past its deadline
 * and grace. Requests do the same lazily for what they touch; a job runner calls this so that
 * results are complete even when nobody looks. */
export async function finaliseExpiredAttempts(scope: Scope, only: { classId?: string } = {}): Promise<{ finalised: number }> {
  const cutoff = new Date(now(scope).getTime() - GRACE_SECONDS * 1000);
  const expired = scope.db('quiz_attempts').whereNull('submitted_at').where('deadline_at', '<', cutoff);
  if (only.classId) expired.where('class_id', only.classId);
  const quizIds: string[] = (await expired.distinct('quiz_id').orderBy('quiz_id')).map((r: { quiz_id: string }) => r.quiz_id);
  let finalised = 0;
  for (const quizId of quizIds) {
    const quiz = await Quiz.query(scope.db).findById(quizId);
    if (quiz) finalised += await closeExpired(scope, quiz);
  }
  return { finalised };
}
