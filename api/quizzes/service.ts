// Quizzes: create, list, read, change, publish, delete. Every read and write goes through the
// ability turned into SQL (QUIZ_FIELDS), as for classes: 404 for a quiz the person may not see,
// 403 for one they see but may not change.
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { findClass, writableClass } from '../classes/service.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { toInstantOrNull } from '../content/school-time.ts';
import { conflict, type FieldError, forbidden, invalid } from '../errors.ts';
import { tellSoon } from '../notifications/soon.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { lockQuiz } from './locks.ts';
import { QUIZ_FIELDS, Quiz } from './model.ts';
import { RELEASE_PARTS, releaseOrderProblem } from './policy.ts';
import type { CreateQuizInput, UpdateQuizInput } from './schema.ts';
import { closeExpired, recount } from './scoring.ts';

const accessible = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'Quiz', QUIZ_FIELDS);

/** The quiz if the ability allows `action` on it: 403 when the person may see it but not do
 * this, 404 when they may not see it at all. */
export function findQuiz(scope: Scope, id: string, action: Action = 'read'): Promise<Quiz> {
  return findAccessible(action, (a) => Quiz.query(scope.db).modify(accessible(scope, a)).findOne({ 'quizzes.id': id }), {
    what: 'The quiz',
    cannot: (a) => (a === 'submit' ? 'Only students enrolled in the class take this quiz.' : 'You can see this quiz but not do this.'),
  });
}

/** findQuiz for a change, in a class that is not archived. */
export async function changeableQuiz(scope: Scope, id: string, action: Action = 'update'): Promise<Quiz> {
  const quiz = await findQuiz(scope, id, action);
  await writableClass(scope, quiz.class_id, 'read');
  return quiz;
}

export async function listQuizzes(scope: Scope, classId: string, page: PageQuery): Promise<Page<Quiz>> {
  await findClass(scope, classId);
  const query = Quiz.query(scope.db).modify(accessible(scope, 'read')).where('quizzes.class_id', classId);
  return paginate<Quiz>(query, page, { sort: 'quizzes.title', id: 'quizzes.id', sortOf: (q) => q.title, idOf: (q) => q.id });
}

type Settings = Pick<Quiz, 'opens_at' | 'closes_at' | 'score_release' | 'correctness_release' | 'answers_release'>;

const DEFAULT_RELEASE = { score_release: 'after_attempt', correctness_release: 'after_close', answers_release: 'after_close' } as const;

function checkSettings(settings: Settings): void {
  const errors: FieldError[] = [];
  if (settings.opens_at && settings.closes_at && settings.closes_at <= settings.opens_at) {
    errors.push({ in: 'body', field: 'closes_at', message: 'must be after opens_at' });
  }
  const early = releaseOrderProblem(settings);
  if (early) {
    const before = RELEASE_PARTS[RELEASE_PARTS.indexOf(early) - 1];
    errors.push({ in: 'body', field: `${early}_release`, message: `cannot come before ${before}_release (it would give it away)` });
  }
  if (errors.length > 0) throw invalid(errors);
}

type ReleaseInput = Pick<UpdateQuizInput, 'score_released' | 'correctness_released' | 'answers_released'>;

/** Releases by hand: releasing a part releases the parts before it too (an earlier release keeps
 * its time); taking one back takes back the parts after it (each part gives the one before it
 * away). A take-back wins over a release in the same request. */
function releasesByHand(current: Quiz, input: ReleaseInput, at: Date): Partial<Quiz> {
  const patch: Partial<Quiz> = {};
  const released = RELEASE_PARTS.findLastIndex((part) => input[`${part}_released`] === true);
  for (const part of RELEASE_PARTS.slice(0, released + 1)) patch[`${part}_released_at`] = current[`${part}_released_at`] ?? at;
  const takenBack = RELEASE_PARTS.findIndex((part) => input[`${part}_released`] === false);
  if (takenBack >= 0) for (const part of RELEASE_PARTS.slice(takenBack)) patch[`${part}_released_at`] = null;
  return patch;
}

function settingsFrom(scope: Scope, input: Partial<CreateQuizInput>): Partial<Quiz> {
  const { opens_at, closes_at, ...rest } = input;
  const row: Partial<Quiz> = { ...(rest as Partial<Quiz>) };
  if (opens_at !== undefined) row.opens_at = toInstantOrNull(scope, opens_at);
  if (closes_at !== undefined) row.closes_at = toInstantOrNull(scope, closes_at);
  return row;
}

export async function createQuiz(scope: Scope, classId: string, input: CreateQuizInput): Promise<Quiz> {
  if (scope.ability.cannot('create', 'Quiz')) throw forbidden('Only teachers and admins create quizzes.');
  await writableClass(scope, classId, 'update');
  const row = { attempts_allowed: 1, ...settingsFrom(scope, input) };
  checkSettings({ ...DEFAULT_RELEASE, ...row, opens_at: row.opens_at ?? null, closes_at: row.closes_at ?? null });
  const created = await Quiz.query(scope.db).insertAndFetch({
    ...row,
    tenant_id: scope.tenant.id,
    class_id: classId,
    created_by: actorUserId(scope.actor) ?? null,
  });
  await audit(scope, 'quiz.created', { type: 'quiz', id: created.id }, { class_id: classId, title: created.title });
  return created;
}

export async function updateQuiz(scope: Scope, id: string, input: UpdateQuizInput): Promise<Quiz> {
  const found = await changeableQuiz(scope, id, 'update');
  await lockQuiz(scope, found.id, 'exclusive');
  const current = (await Quiz.query(scope.db).findById(found.id)) as Quiz;
  const { score_released, correctness_released, answers_released, ...settings } = input;
  const patch: Partial<Quiz> = {
    ...settingsFrom(scope, settings),
    ...releasesByHand(current, { score_released, correctness_released, answers_released }, now(scope)),
    updated_at: now(scope),
  };
  const merged = { ...current, ...patch } as Quiz;
  checkSettings(merged);
  const updated = await Quiz.query(scope.db).patchAndFetchById(current.id, patch);
  if (patch.closes_at !== undefined || patch.time_limit_minutes !== undefined) await moveDeadlines(scope, updated);
  if (patch.counted_attempt !== undefined && patch.counted_attempt !== current.counted_attempt) await recount(scope, updated);
  await audit(scope, 'quiz.updated', { type: 'quiz', id: current.id }, { fields: Object.keys(input) });
  return updated;
}

/** A new closing time or time limit applies to attempts in progress too (a teacher giving the
 * class ten more minutes). An attempt whose new deadline has passed is closed at once. */
async function moveDeadlines(scope: Scope, quiz: Quiz): Promise<void> {
  await scope.db.raw(
    `update quiz_attempts set updated_at = ?,
        deadline_at = least(case when ?::int is null then null else started_at + make_interval(mins => ?::int) end, ?::timestamptz)
      where tenant_id = ? and quiz_id = ? and submitted_at is null`,
    [now(scope), quiz.time_limit_minutes, quiz.time_limit_minutes, quiz.closes_at, scope.tenant.id, quiz.id],
  );
  await closeExpired(scope, quiz);
}

export async function publishQuiz(scope: Scope, id: string): Promise<Quiz> {
  const found = await changeableQuiz(scope, id, 'update');
  await lockQuiz(scope, found.id, 'exclusive');
  const current = (await Quiz.query(scope.db).findById(found.id)) as Quiz;
  if (current.status === 'published') return current;
  if (current.question_count === 0) {
    throw invalid(
      [{ in: 'body', field: 'questions', message: 'a quiz needs at least one question before it is published' }],
      'Add a question before publishing.',
    );
  }
  const published = await Quiz.query(scope.db).patchAndFetchById(current.id, { status: 'published', published_at: now(scope), updated_at: now(scope) });
  await audit(scope, 'quiz.published', { type: 'quiz', id: current.id });
  if (!published.opens_at || new Date(published.opens_at) <= now(scope)) await tellSoon(scope);
  return published;
}

export async function deleteQuiz(scope: Scope, id: string): Promise<void> {
  const found = await changeableQuiz(scope, id, 'delete');
  await lockQuiz(scope, found.id, 'exclusive');
  if (await hasAttempts(scope, found.id)) {
    throw conflict('Students have attempted this quiz: deleting it would delete their results.');
  }
  await Quiz.query(scope.db).deleteById(found.id);
  await audit(scope, 'quiz.deleted', { type: 'quiz', id: found.id }, { title: found.title });
}

export async function hasAttempts(scope: Scope, quizId: string): Promise<boolean> {
  return Boolean(await scope.db('quiz_attempts').where('quiz_id', quizId).first('id'));
}

/** points_possible and question_count follow the questions. */
export async function refreshQuizTotals(scope: Scope, quizId: string): Promise<void> {
  await scope.db.raw(
    `update quizzes q set
        points_possible = coalesce((select sum(points) from quiz_questions where tenant_id = q.tenant_id and quiz_id = q.id), 0),
        question_count = (select count(*) from quiz_questions where tenant_id = q.tenant_id and quiz_id = q.id),
        updated_at = ?
      where q.tenant_id = ? and q.id = ?`,
    [now(scope), scope.tenant.id, quizId],
  );
}
