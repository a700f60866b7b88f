// GET /me/dashboard: what each person needs on a Monday morning, in one request. Every section
// is a query over a feature's table filtered by that feature's own CASL rule (as its list route
// is), so the dashboard can never show more than the person could open elsewhere.
import type { Knex } from 'knex';
import { abilityFor } from '../access/ability.ts';
import { accessibleBy } from '../access/query.ts';
import { runCompiled } from '../db/compiled.ts';
import { myStudents } from '../guardians/service.ts';
import { homeworkFields, SUBMISSION_FIELDS } from '../homework/model.ts';
import { noticeFields } from '../notices/model.ts';
import { ATTEMPT_FIELDS, QUIZ_FIELDS } from '../quizzes/model.ts';
import { GRACE_SECONDS, RELEASE_COLUMNS, scoreReleased } from '../quizzes/policy.ts';
import { now, type Scope } from '../scope.ts';
import type { DashboardView } from './schema.ts';

// biome-ignore lint/suspicious/noExplicitAny: rows of the hand-written SELECTs below, shaped by their column lists
type Row = Record<string, any>;

const DAY = 86_400_000;
/** How far ahead "due soon" and "upcoming" look, and how far back "recent grades" go. */
export const AHEAD_DAYS = 7;
export const RECENT_DAYS = 14;

type Section<K extends keyof NonNullable<DashboardView['student']>> = NonNullable<DashboardView['student']>[K];
type Teaching = NonNullable<DashboardView['teaching']>;

const iso = (at: Date | string) => new Date(at).toISOString();
const isoOrNull = (at: Date | string | null) => (at === null ? null : iso(at));
/** Open classes only: an archived class has nothing left to do. */
const inOpenClass = (table: string) => (qb: Knex.QueryBuilder) =>
  qb.join('classes as c', (j) => j.on('c.tenant_id', `${table}.tenant_id`).andOn('c.id', `${table}.class_id`)).whereNull('c.archived_at');

export async function dashboard(scope: Scope): Promise<DashboardView> {
  if (scope.actor.type !== 'user') throw new Error('the dashboard is for signed-in people');
  const { role, id } = scope.actor.user;
  if (role === 'student') {
    const [recent_notices, due_soon, open_quizzes, recent_grades] = await inOneRoundTrip(scope, role, { userId: id }, (s, p) => [
      recentNotices(s, p.userId),
      dueSoon(s, p.userId),
      openQuizzes(s, p.userId),
      recentGrades(s, p.userId),
    ]);
    return { role, recent_notices, student: { due_soon, open_quizzes, recent_grades } };
  }
  if (role === 'guardian') {
    const children = await myStudents(scope);
    const childParams = Object.fromEntries(children.map((child, i) => [`child${i}`, child.id]));
    const [recent_notices, ...sections] = await inOneRoundTrip(scope, `guardian:${children.length}`, { userId: id, ...childParams }, (s, p) => [
      recentNotices(s, p.userId),
      ...children.flatMap((_, i) => [dueSoon(s, p[`child${i}`] as string), recentGrades(s, p[`child${i}`] as string)]),
    ]);
    return {
      role,
      recent_notices: recent_notices as DashboardView['recent_notices'],
      children: children.map((child, i) => ({
        student: { id: child.id, first_name: child.first_name, last_name: child.last_name },
        due_soon: sections[2 * i] as Section<'due_soon'>,
        recent_grades: sections[2 * i + 1] as Section<'recent_grades'>,
      })),
    };
  }
  const [recent_notices, needs_grading, upcoming_work, recent_submissions] = await inOneRoundTrip(scope, role, { userId: id }, (s, p) => [
    recentNotices(s, p.userId),
    needsGrading(s),
    upcoming(s),
    recentSubmissions(s),
  ]);
  return { role, recent_notices, teaching: { needs_grading, upcoming: upcoming_work, recent_submissions } };
}

/** What a section needs to build its queries: the transaction, whose rules filter them, and the time. */
type SectionScope = Pick<Scope, 'db' | 'ability' | 'clock'>;
/** A section of the dashboard: its queries (built only when the statement is compiled), and how
 * their rows become it. */
type Part<T> = { queries: () => Knex.QueryBuilder[]; map: (...rows: Row[][]) => T; count: number };
/** `map` takes one row list per query, in order: its arity is the number of queries. */
const part = <T>(queries: () => Knex.QueryBuilder[], map: (...rows: Row[][]) => T): Part<T> => ({ queries, map, count: map.length });
type Results<T extends Part<unknown>[]> = { [K in keyof T]: T[K] extends Part<infer R> ? R : never };
type Params = { userId: string; at: Date } & Record<string, string | Date>;

/** Runs every section's queries as one statement: one round trip for the whole dashboard instead
 * of one per query (5 to 7). Each query becomes a JSON array column, its rows in the query's own
 * order (json_agg reads the subquery after its ORDER BY and LIMIT). Rows arrive as JSON:
 * timestamps as ISO strings, which the mappers read as they read Dates.
 * The statement's text is compiled once per shape (`key`: the role, and a guardian's number of
 * children), with the rules of a stand-in person of the same role (api/db/compiled.ts); per
 * request only the bindings are filled in. */
async function inOneRoundTrip<T extends Part<unknown>[]>(
  scope: Scope,
  key: string,
  ids: { userId: string } & Record<string, string>,
  sections: (s: SectionScope, p: Params) => [...T],
): Promise<Results<T>> {
  const at = now(scope);
  const params: Params = { ...ids, at };
  const parts = sections({ ...scope, clock: () => at }, params);
  const [row] = await runCompiled<Row>(scope.db, `dashboard:${key}`, params, (p) => {
    if (scope.actor.type !== 'user') throw new Error('the dashboard is for signed-in people');
    const standIn: SectionScope = {
      db: scope.db,
      ability: abilityFor({ type: 'user', user: { ...scope.actor.user, id: p.userId as string } }),
      clock: () => p.at as Date,
    };
    const queries = sections(standIn, p as Params).flatMap((section) => {
      const built = section.queries();
      if (built.length !== section.count) throw new Error(`a dashboard section maps ${section.count} queries but builds ${built.length}`);
      return built;
    });
    return scope.db.select(queries.map((q, i) => scope.db.raw(`(select coalesce(json_agg(t), '[]'::json) from (?) as t) as ??`, [q, `q${i}`])));
  });
  let next = 0;
  return parts.map((p) => {
    const rows: Row[][] = [];
    for (let i = 0; i < p.count; i++) rows.push((row?.[`q${next++}`] ?? []) as Row[]);
    return p.map(...rows);
  }) as Results<T>;
}

/** Published notices, pinned first, newest first, with whether this person has read them. */
function recentNotices(scope: SectionScope, userId: string): Part<DashboardView['recent_notices']> {
  return part(
    () => {
      const db = scope.db;
      const query = db('notices')
        .modify(accessibleBy(scope.ability, 'read', 'Notice', noticeFields(scope)))
        .where('notices.publish_at', '<=', now(scope))
        .leftJoin('classes as c', (j) => j.on('c.tenant_id', 'notices.tenant_id').andOn('c.id', 'notices.class_id'))
        .where((q) => q.whereNull('notices.class_id').orWhereNull('c.archived_at'))
        .orderBy([
          { column: 'notices.pinned', order: 'desc' },
          { column: 'notices.publish_at', order: 'desc' },
          { column: 'notices.id', order: 'asc' },
        ])
        .limit(5)
        .select(
          'notices.id',
          'notices.title',
          'notices.important',
          'notices.pinned',
          'notices.publish_at',
          'c.id as class_id',
          'c.name as class_name',
          db.raw('exists (select 1 from notice_reads r where r.tenant_id = notices.tenant_id and r.notice_id = notices.id and r.user_id = ?) as read', [
            userId,
          ]),
        );
      return [query];
    },
    (rows) =>
      rows.map((n: Row) => ({
        notice_id: n.id,
        class: n.class_id ? { id: n.class_id, name: n.class_name } : null,
        title: n.title,
        important: n.important,
        pinned: n.pinned,
        published_at: iso(n.publish_at),
        read: n.read,
      })),
  );
}

/** Homework assigned to the student, not turned in, still accepted, due within a week (or
 * overdue inside its late window). Filtered by the viewer's Homework rule too: a student's own,
 * a guardian's linked student's, published only. */
function dueSoon(scope: SectionScope, studentId: string): Part<Section<'due_soon'>> {
  const at = now(scope);
  return part(
    () => {
      const db = scope.db;
      const query = db('homework')
        .modify(accessibleBy(scope.ability, 'read', 'Homework', homeworkFields(at)))
        .modify(inOpenClass('homework'))
        .whereExists((e) =>
          e
            .select(db.raw('1'))
            .from('enrollments as e')
            .whereRaw(`e.tenant_id = homework.tenant_id and e.class_id = homework.class_id and e.role = 'student'`)
            .where('e.user_id', studentId),
        )
        .where((q) =>
          q
            .where('homework.assign_to_all', true)
            .orWhereExists((a) =>
              a
                .select(db.raw('1'))
                .from('homework_assignees as a')
                .whereRaw('a.tenant_id = homework.tenant_id and a.homework_id = homework.id')
                .where('a.student_id', studentId),
            ),
        )
        .whereNotExists((s) =>
          s
            .select(db.raw('1'))
            .from('submissions as s')
            .whereRaw('s.tenant_id = homework.tenant_id and s.homework_id = homework.id and s.submitted_at is not null')
            .where('s.student_id', studentId),
        )
        .whereRaw('coalesce(homework.late_until, homework.due_at) >= ?', [at])
        .where('homework.due_at', '<=', new Date(at.getTime() + AHEAD_DAYS * DAY))
        .orderBy(['homework.due_at', 'homework.id'])
        .limit(10)
        .select('homework.id', 'homework.title', 'homework.due_at', 'homework.late_until', 'c.id as class_id', 'c.name as class_name');
      return [query];
    },
    (rows) =>
      rows.map((h: Row) => ({
        homework_id: h.id,
        class: { id: h.class_id, name: h.class_name },
        title: h.title,
        due_at: iso(h.due_at),
        late_until: isoOrNull(h.late_until),
        overdue: new Date(h.due_at) < at,
      })),
  );
}

/** Published quizzes open now that the student can still start or resume. */
function openQuizzes(scope: SectionScope, studentId: string): Part<Section<'open_quizzes'>> {
  const at = now(scope);
  return part(
    () => {
      const db = scope.db;
      const query = db('quizzes')
        .modify(accessibleBy(scope.ability, 'read', 'Quiz', QUIZ_FIELDS))
        .modify(inOpenClass('quizzes'))
        .whereNotNull('quizzes.published_at')
        .where((q) => q.whereNull('quizzes.opens_at').orWhere('quizzes.opens_at', '<=', at))
        .where((q) => q.whereNull('quizzes.closes_at').orWhere('quizzes.closes_at', '>', at))
        .orderByRaw('quizzes.closes_at asc nulls last, quizzes.id')
        .limit(10)
        .select(
          'quizzes.id',
          'quizzes.title',
          'quizzes.closes_at',
          'quizzes.time_limit_minutes',
          'quizzes.attempts_allowed',
          'c.id as class_id',
          'c.name as class_name',
          db.raw('(select count(*) from quiz_attempts a where a.tenant_id = quizzes.tenant_id and a.quiz_id = quizzes.id and a.student_id = ?)::int as used', [
            studentId,
          ]),
          // An attempt still open: in progress, and not past its deadline and grace.
          db.raw(
            `(select a.id from quiz_attempts a where a.tenant_id = quizzes.tenant_id and a.quiz_id = quizzes.id and a.student_id = ? and a.submitted_at is null
            and (a.deadline_at is null or a.deadline_at + make_interval(secs => ?) > ?)) as open_attempt`,
            [studentId, GRACE_SECONDS, at],
          ),
        );
      return [query];
    },
    (rows) =>
      rows
        .filter((q: Row) => q.open_attempt || q.attempts_allowed === null || q.used < q.attempts_allowed)
        .map((q: Row) => ({
          quiz_id: q.id,
          class: { id: q.class_id, name: q.class_name },
          title: q.title,
          closes_at: isoOrNull(q.closes_at),
          time_limit_minutes: q.time_limit_minutes,
          attempts_used: q.used,
          attempts_allowed: q.attempts_allowed,
          attempt_in_progress: q.open_attempt,
        })),
  );
}

/** Returned homework and released quiz results of the last two weeks, newest first. */
function recentGrades(scope: SectionScope, studentId: string): Part<Section<'recent_grades'>> {
  const at = now(scope);
  return part(
    () => {
      const db = scope.db;
      const since = new Date(at.getTime() - RECENT_DAYS * DAY);
      const homeworkQuery = db('submissions')
        .modify(accessibleBy(scope.ability, 'read', 'Submission', SUBMISSION_FIELDS))
        .join('homework as h', (j) => j.on('h.tenant_id', 'submissions.tenant_id').andOn('h.id', 'submissions.homework_id'))
        .join('classes as c', (j) => j.on('c.tenant_id', 'submissions.tenant_id').andOn('c.id', 'submissions.class_id'))
        .where({ 'submissions.student_id': studentId, 'submissions.status': 'returned' })
        .whereNotNull('submissions.score')
        .whereNotNull('h.points')
        .where('submissions.returned_at', '>=', since)
        .orderBy('submissions.returned_at', 'desc')
        .limit(5)
        .select('h.id', 'h.title', 'h.points', 'submissions.score', 'submissions.returned_at as at', 'c.id as class_id', 'c.name as class_name');
      const quizQuery = db('quiz_attempts')
        .modify(accessibleBy(scope.ability, 'read', 'QuizAttempt', ATTEMPT_FIELDS))
        .join('quizzes as q', (j) => j.on('q.tenant_id', 'quiz_attempts.tenant_id').andOn('q.id', 'quiz_attempts.quiz_id'))
        .join('classes as c', (j) => j.on('c.tenant_id', 'quiz_attempts.tenant_id').andOn('c.id', 'quiz_attempts.class_id'))
        .where({ 'quiz_attempts.student_id': studentId, 'quiz_attempts.counted': true, 'quiz_attempts.needs_grading': false })
        .where('quiz_attempts.submitted_at', '>=', since)
        .orderBy('quiz_attempts.submitted_at', 'desc')
        .limit(5)
        .select(
          'q.id',
          'q.title',
          'q.points_possible',
          ...RELEASE_COLUMNS.map((c) => `q.${c}`),
          'quiz_attempts.score',
          'quiz_attempts.submitted_at as at',
          'c.id as class_id',
          'c.name as class_name',
        );
      return [homeworkQuery, quizQuery];
    },
    (homework, quizzes) => {
      const grades: Section<'recent_grades'> = [
        ...homework.map((h: Row) => ({
          kind: 'homework' as const,
          id: h.id,
          class: { id: h.class_id, name: h.class_name },
          title: h.title,
          score: Number(h.score),
          points: Number(h.points),
          graded_at: iso(h.at),
        })),
        ...quizzes
          .filter((q: Row) => q.score !== null && scoreReleased(q as Parameters<typeof scoreReleased>[0], { submitted_at: q.at }, at))
          .map((q: Row) => ({
            kind: 'quiz' as const,
            id: q.id,
            class: { id: q.class_id, name: q.class_name },
            title: q.title,
            score: Number(q.score),
            points: Number(q.points_possible),
            graded_at: iso(q.at),
          })),
      ];
      return grades.sort((a, b) => b.graded_at.localeCompare(a.graded_at)).slice(0, 5);
    },
  );
}

/** Homework with turned-in work not graded yet, and quizzes with answers to grade by hand. */
function needsGrading(scope: SectionScope): Part<Teaching['needs_grading']> {
  return part(
    () => {
      const db = scope.db;
      const homeworkQuery = db('homework')
        .modify(accessibleBy(scope.ability, 'read', 'Homework', homeworkFields(now(scope))))
        .modify(inOpenClass('homework'))
        .join('submissions as s', (j) => j.on('s.tenant_id', 'homework.tenant_id').andOn('s.homework_id', 'homework.id'))
        .where('s.status', 'turned_in')
        .groupBy('homework.id', 'homework.title', 'homework.due_at', 'c.id', 'c.name')
        .orderBy(['homework.due_at', 'homework.id'])
        .limit(10)
        .select('homework.id', 'homework.title', 'c.id as class_id', 'c.name as class_name', db.raw('count(*)::int as waiting'));
      const quizQuery = db('quizzes')
        .modify(accessibleBy(scope.ability, 'read', 'Quiz', QUIZ_FIELDS))
        .modify(inOpenClass('quizzes'))
        .join('quiz_attempts as a', (j) => j.on('a.tenant_id', 'quizzes.tenant_id').andOn('a.quiz_id', 'quizzes.id'))
        .where('a.needs_grading', true)
        .whereNotNull('a.submitted_at')
        .groupBy('quizzes.id', 'quizzes.title', 'c.id', 'c.name')
        .orderBy('quizzes.id')
        .limit(10)
        .select('quizzes.id', 'quizzes.title', 'c.id as class_id', 'c.name as class_name', db.raw('count(*)::int as waiting'));
      return [homeworkQuery, quizQuery];
    },
    (homework, quizzes) => [
      ...homework.map((h: Row) => ({ kind: 'homework' as const, id: h.id, class: { id: h.class_id, name: h.class_name }, title: h.title, waiting: h.waiting })),
      ...quizzes.map((q: Row) => ({ kind: 'quiz' as const, id: q.id, class: { id: q.class_id, name: q.class_name }, title: q.title, waiting: q.waiting })),
    ],
  );
}

/** Homework due and quizzes closing within a week, with how many have handed in. */
function upcoming(scope: SectionScope): Part<Teaching['upcoming']> {
  const at = now(scope);
  return part(
    () => {
      const db = scope.db;
      const until = new Date(at.getTime() + AHEAD_DAYS * DAY);
      const homeworkQuery = db('homework')
        .modify(accessibleBy(scope.ability, 'read', 'Homework', homeworkFields(at)))
        .modify(inOpenClass('homework'))
        .whereNotNull('homework.publish_at')
        .whereBetween('homework.due_at', [at, until])
        .orderBy(['homework.due_at', 'homework.id'])
        .limit(10)
        .select(
          'homework.id',
          'homework.title',
          'homework.due_at as due',
          'c.id as class_id',
          'c.name as class_name',
          db.raw(
            '(select count(*) from submissions s where s.tenant_id = homework.tenant_id and s.homework_id = homework.id and s.submitted_at is not null)::int as turned_in',
          ),
        );
      const quizQuery = db('quizzes')
        .modify(accessibleBy(scope.ability, 'read', 'Quiz', QUIZ_FIELDS))
        .modify(inOpenClass('quizzes'))
        .whereNotNull('quizzes.published_at')
        .whereBetween('quizzes.closes_at', [at, until])
        .orderBy(['quizzes.closes_at', 'quizzes.id'])
        .limit(10)
        .select(
          'quizzes.id',
          'quizzes.title',
          'quizzes.closes_at as due',
          'c.id as class_id',
          'c.name as class_name',
          db.raw(
            '(select count(distinct a.student_id) from quiz_attempts a where a.tenant_id = quizzes.tenant_id and a.quiz_id = quizzes.id and a.submitted_at is not null)::int as turned_in',
          ),
        );
      return [homeworkQuery, quizQuery];
    },
    (homework, quizzes) =>
      [
        ...homework.map((h: Row) => ({
          kind: 'homework' as const,
          id: h.id,
          class: { id: h.class_id, name: h.class_name },
          title: h.title,
          due_at: iso(h.due),
          turned_in: h.turned_in,
        })),
        ...quizzes.map((q: Row) => ({
          kind: 'quiz' as const,
          id: q.id,
          class: { id: q.class_id, name: q.class_name },
          title: q.title,
          due_at: iso(q.due),
          turned_in: q.turned_in,
        })),
      ].sort((a, b) => a.due_at.localeCompare(b.due_at)),
  );
}

function recentSubmissions(scope: SectionScope): Part<Teaching['recent_submissions']> {
  return part(
    () => {
      const db = scope.db;
      const query = db('submissions')
        .modify(accessibleBy(scope.ability, 'read', 'Submission', SUBMISSION_FIELDS))
        .modify(inOpenClass('submissions'))
        .join('homework as h', (j) => j.on('h.tenant_id', 'submissions.tenant_id').andOn('h.id', 'submissions.homework_id'))
        .join('users as u', (j) => j.on('u.tenant_id', 'submissions.tenant_id').andOn('u.id', 'submissions.student_id'))
        .whereNotNull('submissions.submitted_at')
        .orderBy([
          { column: 'submissions.submitted_at', order: 'desc' },
          { column: 'submissions.id', order: 'asc' },
        ])
        .limit(10)
        .select(
          'h.id as homework_id',
          'h.title',
          'c.id as class_id',
          'c.name as class_name',
          'u.id as student_id',
          'u.first_name',
          'u.last_name',
          'submissions.submitted_at',
          'submissions.late',
        );
      return [query];
    },
    (rows) =>
      rows.map((r: Row) => ({
        homework_id: r.homework_id,
        class: { id: r.class_id, name: r.class_name },
        title: r.title,
        student: { id: r.student_id, first_name: r.first_name, last_name: r.last_name },
        submitted_at: iso(r.submitted_at),
        late: r.late,
      })),
  );
}
