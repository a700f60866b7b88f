// What a quiz's attempts add up to: per-student results and per-question statistics (teachers),
// the leaderboard (opt-in), and one student's own results (the student or their guardian).
// Each first closes attempts whose time ran out, so what it shows is what time has decided.
import type { Knex } from 'knex';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { forbidden, invalid, notFound } from '../errors.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { QuizAttempt, QuizQuestion, toNumber } from './model.ts';
import { attemptsLeft } from './policy.ts';
import { leaderboardName } from './presenter.ts';
import type { LeaderboardEntryView, MyResultsView, QuestionStatsView, ResultRowView } from './schema.ts';
import { closeExpired } from './scoring.ts';
import { findQuiz } from './service.ts';
import { attemptFieldsFor, quizFieldsFor, relationTo } from './visibility.ts';

type Status = ResultRowView['status'];

function statusOf(attempts: number, inProgress: boolean, needsGrading: boolean): Status {
  if (inProgress) return 'in_progress';
  if (attempts === 0) return 'not_started';
  return needsGrading ? 'needs_grading' : 'submitted';
}

/** One row per student on the class roster, by last name. */
export async function quizResults(scope: Scope, quizId: string, page: PageQuery): Promise<Page<ResultRowView>> {
  const quiz = await findQuiz(scope, quizId, 'grade');
  await closeExpired(scope, quiz);
  const query = scope
    .db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .leftJoin('quiz_attempts as a', (j) => j.on('a.tenant_id', 'e.tenant_id').andOn('a.student_id', 'e.user_id').andOnVal('a.quiz_id', quiz.id))
    .where({ 'e.class_id': quiz.class_id, 'e.role': 'student' })
    .groupBy('u.id', 'u.first_name', 'u.last_name')
    .select(
      'u.id',
      'u.first_name',
      'u.last_name',
      scope.db.raw('count(a.id) as attempts'),
      scope.db.raw('coalesce(bool_or(a.id is not null and a.submitted_at is null), false) as in_progress'),
      scope.db.raw('coalesce(bool_or(a.submitted_at is not null and a.needs_grading), false) as needs_grading'),
      scope.db.raw('max(a.score) filter (where a.counted) as score'),
      scope.db.raw('(array_agg(a.id) filter (where a.counted))[1] as counted_attempt_id'),
      scope.db.raw('(array_agg(a.id order by a.number desc) filter (where a.id is not null))[1] as latest_attempt_id'),
    );
  type Row = {
    id: string;
    first_name: string;
    last_name: string;
    attempts: string;
    in_progress: boolean;
    needs_grading: boolean;
    score: string | null;
    counted_attempt_id: string | null;
    latest_attempt_id: string | null;
  };
  const rows = await paginate<Row>(query, page, { sort: 'u.last_name', id: 'u.id', sortOf: (r) => r.last_name, idOf: (r) => r.id });
  return {
    next_cursor: rows.next_cursor,
    data: rows.data.map((r) => ({
      student: { id: r.id, first_name: r.first_name, last_name: r.last_name },
      status: statusOf(Number(r.attempts), r.in_progress, r.needs_grading),
      attempts: Number(r.attempts),
      score: toNumber(r.score),
      counted_attempt_id: r.counted_attempt_id,
      latest_attempt_id: r.latest_attempt_id,
    })),
  };
}

/** Per question, over each student's counted attempt: how many answered, the share with full
 * marks, the average score, and for choice questions how often each option was chosen. */
export async function quizStatistics(scope: Scope, quizId: string, page: PageQuery): Promise<Page<QuestionStatsView> & { counted_attempts: number }> {
  const quiz = await findQuiz(scope, quizId, 'grade');
  await closeExpired(scope, quiz);
  const questions = await paginate<QuizQuestion>(QuizQuestion.query(scope.db).where('quiz_questions.quiz_id', quiz.id), page, {
    sort: 'quiz_questions.position',
    id: 'quiz_questions.id',
    sortOf: (q) => q.position,
    idOf: (q) => q.id,
  });
  const counted = Number(((await scope.db('quiz_attempts').where({ quiz_id: quiz.id, counted: true }).count({ n: '*' }).first()) as { n: string }).n);
  const ids = questions.data.map((q) => q.id);
  const countedAnswers = (qb: Knex.QueryBuilder) =>
    qb
      .from('quiz_answers as s')
      .join('quiz_attempts as a', (j) => j.on('a.tenant_id', 's.tenant_id').andOn('a.id', 's.attempt_id'))
      .join('quiz_questions as q', (j) => j.on('q.tenant_id', 's.tenant_id').andOn('q.id', 's.question_id'))
      .where('a.counted', true)
      .whereIn('s.question_id', ids);
  type Totals = { question_id: string; answered: string; full: string; total: string | null; ungraded: string };
  const totals: Totals[] = await countedAnswers(scope.db.queryBuilder())
    .groupBy('s.question_id')
    .select(
      's.question_id',
      scope.db.raw('count(*) filter (where s.response is not null) as answered'),
      scope.db.raw('count(*) filter (where s.response is not null and s.score is not null and s.score >= q.points) as full'),
      scope.db.raw('sum(s.score) as total'),
      scope.db.raw('count(*) filter (where s.response is not null and s.score is null) as ungraded'),
    );
  type Choice = { question_id: string; choice: string; n: string };
  const choices: Choice[] = await countedAnswers(scope.db.queryBuilder())
    .joinRaw(
      `cross join lateral (
         select jsonb_array_elements_text(case when jsonb_typeof(s.response -> 'option_ids') = 'array' then s.response -> 'option_ids' else '[]'::jsonb end) as choice
         union all select s.response ->> 'option_id' where s.response ->> 'option_id' is not null
         union all select s.response ->> 'value' where q.type = 'true_false' and jsonb_typeof(s.response -> 'value') = 'boolean'
       ) c`,
    )
    .groupBy('s.question_id', 'c.choice')
    .select('s.question_id', 'c.choice', scope.db.raw('count(*) as n'));
  const byQuestion = new Map(totals.map((t) => [t.question_id, t]));
  const chosen = new Map(choices.map((c) => [`${c.question_id}:${c.choice}`, Number(c.n)]));
  return {
    counted_attempts: counted,
    next_cursor: questions.next_cursor,
    data: questions.data.map((q) => {
      const t = byQuestion.get(q.id);
      const view: QuestionStatsView = {
        question_id: q.id,
        position: q.position,
        type: q.type,
        points: Number(q.points),
        answered: Number(t?.answered ?? 0),
        percent_correct: counted === 0 ? null : Math.round((Number(t?.full ?? 0) / counted) * 1000) / 10,
        average_score: counted === 0 ? null : Math.round((Number(t?.total ?? 0) / counted) * 100) / 100,
        needs_grading: Number(t?.ungraded ?? 0),
      };
      const right = new Set(q.key.correct_option_ids ?? []);
      if (q.type === 'single_choice' || q.type === 'multiple_choice') {
        view.options = q.options.map((o) => ({ id: o.id, text: o.text, correct: right.has(o.id), count: chosen.get(`${q.id}:${o.id}`) ?? 0 }));
      }
      if (q.type === 'true_false') {
        view.options = [true, false].map((v) => ({
          id: String(v),
          text: v ? 'True' : 'False',
          correct: q.key.correct === v,
          count: chosen.get(`${q.id}:${v}`) ?? 0,
        }));
      }
      return view;
    }),
  };
}

/** Top counted scores (fully graded ones), highest first, with first name and last initial. */
export async function quizLeaderboard(scope: Scope, quizId: string, page: PageQuery): Promise<Page<LeaderboardEntryView>> {
  const quiz = await findQuiz(scope, quizId, 'read');
  const fields = quizFieldsFor(scope, quiz, await relationTo(scope, quiz.class_id), now(scope));
  if (!fields.has('leaderboard_entries')) {
    if (!quiz.leaderboard) throw forbidden('This quiz has no leaderboard.');
    throw forbidden('The leaderboard opens when results are released.');
  }
  await closeExpired(scope, quiz);
  const ranked = scope.db.raw(
    `(select a.student_id, a.score, -a.score as neg_score, rank() over (order by a.score desc) as rank, u.first_name, u.last_name
        from quiz_attempts a join users u on u.tenant_id = a.tenant_id and u.id = a.student_id
       where a.tenant_id = ? and a.quiz_id = ? and a.counted and not a.needs_grading) as lb`,
    [scope.tenant.id, quiz.id],
  );
  type Row = { student_id: string; score: string; neg_score: string; rank: string; first_name: string; last_name: string };
  const rows = await paginate<Row>(scope.db.select('lb.*').from(ranked), page, {
    sort: 'lb.neg_score',
    id: 'lb.student_id',
    sortOf: (r) => Number(r.neg_score),
    idOf: (r) => r.student_id,
  });
  const me = actorUserId(scope.actor);
  return {
    next_cursor: rows.next_cursor,
    data: rows.data.map((r) => ({ rank: Number(r.rank), name: leaderboardName(r.first_name, r.last_name), score: Number(r.score), me: r.student_id === me })),
  };
}

/** One student's standing at a quiz: theirs for a student; a linked student's for a guardian
 * (student_id required); any enrolled student's for the class's teachers and admins. */
export async function myResults(scope: Scope, quizId: string, requested: string | undefined): Promise<MyResultsView> {
  const quiz = await findQuiz(scope, quizId, 'read');
  const role = scope.actor.type === 'user' ? scope.actor.user.role : undefined;
  const self = actorUserId(scope.actor);
  const studentId = role === 'student' ? self : requested;
  if (!studentId) throw invalid([{ in: 'query', field: 'student_id', message: 'is required: whose results?' }]);
  if (role === 'student' && requested && requested !== self) throw notFound('That student’s results');
  const enrolled = await scope.db('enrollments').where({ class_id: quiz.class_id, user_id: studentId, role: 'student' }).first('id');
  const relation = await relationTo(scope, quiz.class_id);
  if (!enrolled || (role === 'guardian' && !relation.guarded.has(studentId))) throw notFound('That student’s results');
  await closeExpired(scope, quiz, [studentId]);

  const attempts = await QuizAttempt.query(scope.db).where({ quiz_id: quiz.id, student_id: studentId }).orderBy('number');
  const open = attempts.find((a) => a.submitted_at === null);
  const counted = attempts.find((a) => a.counted);
  const at = now(scope);
  const visible = counted ? attemptFieldsFor(scope, quiz, counted, relation, at) : new Set();
  if (counted && !visible.has('id')) throw notFound('That student’s results');
  const released = counted !== undefined && visible.has('score');
  return {
    quiz_id: quiz.id,
    student_id: studentId,
    status: statusOf(
      attempts.length,
      open !== undefined,
      attempts.some((a) => a.submitted_at !== null && a.needs_grading),
    ),
    attempts_used: attempts.length,
    attempts_left: attemptsLeft(quiz, attempts.length),
    open_attempt_id: open && studentId === self ? open.id : null,
    score_released: released,
    score: released ? toNumber(counted.score) : null,
    points_possible: Number(quiz.points_possible),
    counted_attempt_id: counted?.id ?? null,
  };
}
