// A class's course: its settings, ordered units and ordered lessons. Teachers of the class and
// admins build it (writes go through writableClass: an archived class refuses changes); students
// and guardians read what is released (publish_at passed, unit and lesson both), and a student's
// locked lesson shows its title and why it is locked, never its body (api/courses/progress.ts).
// Reordering takes the whole ordered id list with the version last read, under a row lock on
// the parent: a concurrent reorder or a new row in between is a 409, never a muddled order.
import type { Action } from '../access/ability.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { Class } from '../classes/model.ts';
import { findClass, writableClass } from '../classes/service.ts';
import { attachResolved, presentAttachments, resolveAttachments } from '../content/attachments.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { publishInstant } from '../content/school-time.ts';
import { conflict, forbidden, invalid, notFound } from '../errors.ts';
import { now, type Scope } from '../scope.ts';
import { COURSE_FIELDS_ON_CLASS, Course, CourseLesson, CourseUnit } from './model.ts';
import type { CourseSettingsInput, LessonInput, LessonSummaryView, LessonView, UnitInput, UpdateLessonInput, UpdateUnitInput } from './schema.ts';
import { lessonVideo } from './video.ts';

/** The class if `action` on its course is allowed: 404 when the class is hidden, 403 when it is
 * visible but this is not allowed. */
export async function courseClass(scope: Scope, classId: string, action: Action = 'read'): Promise<Class> {
  const found = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, action, 'Course', COURSE_FIELDS_ON_CLASS))
    .findOne({ 'classes.id': classId });
  if (found) return found;
  if (action !== 'read') {
    const visible = await Class.query(scope.db)
      .modify(accessibleBy(scope.ability, 'read', 'Course', COURSE_FIELDS_ON_CLASS))
      .findOne({ 'classes.id': classId });
    if (visible) throw forbidden('You can see this course but not change it.');
  }
  await findClass(scope, classId);
  throw notFound('The course');
}

/** Whether this person builds the class's course (sees drafts, no locks). */
export async function buildsCourse(scope: Scope, classId: string): Promise<boolean> {
  return (
    (await Class.query(scope.db)
      .modify(accessibleBy(scope.ability, 'update', 'Course', COURSE_FIELDS_ON_CLASS))
      .findOne({ 'classes.id': classId })) !== undefined
  );
}

export async function courseOf(scope: Scope, classId: string): Promise<Course | undefined> {
  return Course.query(scope.db).findOne({ class_id: classId });
}

/** The class's course, made on first use by someone who builds it. */
async function ensureCourse(scope: Scope, classId: string): Promise<Course> {
  const found = await courseOf(scope, classId);
  if (found) return found;
  await scope.db('courses').insert({ tenant_id: scope.tenant.id, class_id: classId }).onConflict(['tenant_id', 'class_id']).ignore();
  const made = await courseOf(scope, classId);
  if (!made) throw new Error('course vanished');
  return made;
}

export async function updateCourseSettings(scope: Scope, classId: string, input: CourseSettingsInput): Promise<Course> {
  await writableClass(scope, classId);
  await courseClass(scope, classId, 'update');
  const course = await ensureCourse(scope, classId);
  const updated = await Course.query(scope.db).patchAndFetchById(course.id, { ...input, updated_at: now(scope) });
  await audit(scope, 'course.updated', { type: 'course', id: course.id }, { fields: Object.keys(input) });
  return updated ?? course;
}

// ── State ────────────────────────────────────────────────────────────────────────────────────

export type ReleaseState = 'draft' | 'scheduled' | 'published';
export function releaseState(publishAt: Date | null, at: Date): ReleaseState {
  if (publishAt === null) return 'draft';
  return new Date(publishAt) > at ? 'scheduled' : 'published';
}
export const released = (row: { publish_at: Date | null }, at: Date) => releaseState(row.publish_at, at) === 'published';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function presentLessonSummary(lesson: CourseLesson, at: Date): LessonSummaryView {
  return {
    id: lesson.id,
    unit_id: lesson.unit_id,
    position: lesson.position,
    title: lesson.title,
    estimated_minutes: lesson.estimated_minutes,
    state: releaseState(lesson.publish_at, at),
    publish_at: iso(lesson.publish_at),
    homework_id: lesson.homework_id,
    quiz_id: lesson.quiz_id,
    pass_percent: lesson.pass_percent,
    prerequisite_lesson_id: lesson.prerequisite_lesson_id,
  };
}

export function presentLesson(lesson: CourseLesson, at: Date): LessonView {
  return {
    ...presentLessonSummary(lesson, at),
    body: lesson.body,
    body_html: renderMarkdown(lesson.body),
    attachments: presentAttachments(lesson.attachments),
    video_url: lesson.video_url,
    video_embed_url: lesson.video_embed_url,
  };
}

/** Units and lessons of the course in order; released ones only unless `all`. */
export async function courseTree(scope: Scope, course: Course, all: boolean): Promise<{ unit: CourseUnit; lessons: CourseLesson[] }[]> {
  const at = now(scope);
  const units = await CourseUnit.query(scope.db).where({ course_id: course.id }).orderBy(['position', 'id']);
  const lessons = await CourseLesson.query(scope.db)
    .whereIn(
      'unit_id',
      units.map((u) => u.id),
    )
    .orderBy(['position', 'id']);
  return units
    .filter((u) => all || released(u, at))
    .map((unit) => ({ unit, lessons: lessons.filter((l) => l.unit_id === unit.id && (all || released(l, at))) }));
}

// ── Units ────────────────────────────────────────────────────────────────────────────────────

async function checkQuizOfClass(scope: Scope, classId: string, quizId: string | null | undefined, field: string): Promise<void> {
  if (!quizId) return;
  const found = await scope.db('quizzes').where({ id: quizId, class_id: classId }).first('id');
  if (!found) throw invalid([{ in: 'body', field, message: 'is not a quiz of this class' }]);
}

async function checkHomeworkOfClass(scope: Scope, classId: string, homeworkId: string | null | undefined): Promise<void> {
  if (!homeworkId) return;
  const found = await scope.db('homework').where({ id: homeworkId, class_id: classId }).first('id');
  if (!found) throw invalid([{ in: 'body', field: 'homework_id', message: 'is not homework of this class' }]);
}

const publishValue = (scope: Scope, value: string | null | undefined) =>
  value === undefined ? undefined : value === null ? null : publishInstant(scope, value);

export async function createUnit(scope: Scope, classId: string, input: UnitInput): Promise<CourseUnit> {
  await writableClass(scope, classId);
  await courseClass(scope, classId, 'create');
  const course = await ensureCourse(scope, classId);
  await checkQuizOfClass(scope, classId, input.gate_quiz_id, 'gate_quiz_id');
  // The course row is the lock for its unit order.
  await scope.db('courses').where({ id: course.id }).forUpdate().first('id');
  const last = (await scope.db('course_units').where({ course_id: course.id }).max('position as max').first()) as { max: number | null };
  const at = now(scope);
  const unit = await CourseUnit.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    course_id: course.id,
    class_id: classId,
    position: (last?.max ?? -1) + 1,
    title: input.title,
    summary: input.summary ?? '',
    publish_at: publishValue(scope, input.publish_at) ?? null,
    gate_quiz_id: input.gate_quiz_id ?? null,
    gate_percent: input.gate_percent ?? null,
    created_at: at,
    updated_at: at,
  });
  await scope.db('courses').where({ id: course.id }).increment('version', 1);
  await audit(scope, 'course.unit_created', { type: 'course_unit', id: unit.id }, { class_id: classId, title: unit.title });
  return unit;
}

export async function findUnit(scope: Scope, id: string, action: Action = 'read'): Promise<CourseUnit> {
  const unit = await CourseUnit.query(scope.db).findOne({ id });
  if (!unit) throw notFound('The unit');
  try {
    await courseClass(scope, unit.class_id, action);
  } catch (error) {
    if (action === 'read') throw notFound('The unit');
    throw error;
  }
  if (action === 'read' && !(await buildsCourse(scope, unit.class_id)) && !released(unit, now(scope))) throw notFound('The unit');
  return unit;
}

export async function updateUnit(scope: Scope, id: string, input: UpdateUnitInput): Promise<CourseUnit> {
  const unit = await findUnit(scope, id, 'update');
  await writableClass(scope, unit.class_id);
  await checkQuizOfClass(scope, unit.class_id, input.gate_quiz_id, 'gate_quiz_id');
  const { publish_at, ...plain } = input;
  const patch: Partial<CourseUnit> = { ...plain, updated_at: now(scope) };
  if (publish_at !== undefined) patch.publish_at = publishValue(scope, publish_at) ?? null;
  const updated = await CourseUnit.query(scope.db).patchAndFetchById(unit.id, patch);
  await audit(scope, 'course.unit_updated', { type: 'course_unit', id: unit.id }, { fields: Object.keys(input) });
  return updated ?? unit;
}

export async function deleteUnit(scope: Scope, id: string): Promise<void> {
  const unit = await findUnit(scope, id, 'delete');
  await writableClass(scope, unit.class_id);
  await scope.db('courses').where({ id: unit.course_id }).forUpdate().first('id');
  await CourseUnit.query(scope.db).delete().where({ id: unit.id });
  await scope.db('courses').where({ id: unit.course_id }).increment('version', 1);
  await audit(scope, 'course.unit_deleted', { type: 'course_unit', id: unit.id }, { class_id: unit.class_id, title: unit.title });
}

/** One request, the whole order: under a lock on the course row, the version must be the one the
 * client read and the list must name every unit exactly once. */
export async function reorderUnits(scope: Scope, classId: string, input: { unit_ids: string[]; version: number }): Promise<number> {
  await writableClass(scope, classId);
  await courseClass(scope, classId, 'update');
  const course = await ensureCourse(scope, classId);
  const locked = (await scope.db('courses').where({ id: course.id }).forUpdate().first('version')) as { version: number };
  if (locked.version !== input.version)
    throw conflict('Someone changed this course’s units since you loaded it; reload and try again.', { version: locked.version });
  const ids: string[] = await scope.db('course_units').where({ course_id: course.id }).pluck('id');
  sameSet(ids, input.unit_ids, 'unit_ids');
  await applyOrder(scope, 'course_units', input.unit_ids);
  const [row] = (await scope.db('courses').where({ id: course.id }).increment('version', 1).returning('version')) as { version: number }[];
  await audit(scope, 'course.units_reordered', { type: 'course', id: course.id }, { count: ids.length });
  return row?.version ?? locked.version + 1;
}

export async function reorderLessons(scope: Scope, unitId: string, input: { lesson_ids: string[]; version: number }): Promise<number> {
  const unit = await findUnit(scope, unitId, 'update');
  await writableClass(scope, unit.class_id);
  const locked = (await scope.db('course_units').where({ id: unit.id }).forUpdate().first('version')) as { version: number };
  if (locked.version !== input.version)
    throw conflict('Someone changed this unit’s lessons since you loaded it; reload and try again.', { version: locked.version });
  const ids: string[] = await scope.db('course_lessons').where({ unit_id: unit.id }).pluck('id');
  sameSet(ids, input.lesson_ids, 'lesson_ids');
  await applyOrder(scope, 'course_lessons', input.lesson_ids);
  const [row] = (await scope.db('course_units').where({ id: unit.id }).increment('version', 1).returning('version')) as { version: number }[];
  await audit(scope, 'course.lessons_reordered', { type: 'course_unit', id: unit.id }, { count: ids.length });
  return row?.version ?? locked.version + 1;
}

function sameSet(current: string[], sent: string[], field: string): void {
  const have = new Set(current);
  if (new Set(sent).size !== sent.length || sent.length !== have.size || sent.some((id) => !have.has(id))) {
    throw invalid([{ in: 'body', field, message: `must list every one of the ${have.size} ids exactly once, in the new order` }]);
  }
}

async function applyOrder(scope: Scope, table: 'course_units' | 'course_lessons', ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await scope.db.raw(
    `update ?? as t set position = o.position - 1 from unnest(?::uuid[]) with ordinality as o(id, position) where t.id = o.id and t.tenant_id = ?`,
    [table, ids, scope.tenant.id],
  );
}

// ── Lessons ──────────────────────────────────────────────────────────────────────────────────

async function checkPrerequisite(scope: Scope, unit: CourseUnit, prerequisiteId: string | null | undefined, self?: string): Promise<void> {
  if (!prerequisiteId) return;
  const found = await scope
    .db('course_lessons as l')
    .join('course_units as u', (j) => j.on('u.tenant_id', 'l.tenant_id').andOn('u.id', 'l.unit_id'))
    .where({ 'l.id': prerequisiteId, 'u.course_id': unit.course_id })
    .first('l.id');
  if (!found || prerequisiteId === self) throw invalid([{ in: 'body', field: 'prerequisite_lesson_id', message: 'must be another lesson of this course' }]);
  // No cycles: walk the chain from the prerequisite.
  if (self) {
    let at: string | null = prerequisiteId;
    for (let hops = 0; at && hops < 1000; hops++) {
      if (at === self) throw invalid([{ in: 'body', field: 'prerequisite_lesson_id', message: 'would make the lessons wait for each other' }]);
      const next = (await scope.db('course_lessons').where({ id: at }).first('prerequisite_lesson_id')) as
        | { prerequisite_lesson_id: string | null }
        | undefined;
      at = next?.prerequisite_lesson_id ?? null;
    }
  }
}

export async function createLesson(scope: Scope, unitId: string, input: LessonInput): Promise<CourseLesson> {
  const unit = await findUnit(scope, unitId, 'create');
  await writableClass(scope, unit.class_id);
  await checkQuizOfClass(scope, unit.class_id, input.quiz_id, 'quiz_id');
  await checkHomeworkOfClass(scope, unit.class_id, input.homework_id);
  await checkPrerequisite(scope, unit, input.prerequisite_lesson_id);
  const video = lessonVideo(scope, input.video_url ?? null);
  const attachments = await resolveAttachments(scope, input.attachments ?? [], { kind: 'lesson', classId: unit.class_id }, 'attachments');
  await scope.db('course_units').where({ id: unit.id }).forUpdate().first('id');
  const last = (await scope.db('course_lessons').where({ unit_id: unit.id }).max('position as max').first()) as { max: number | null };
  const at = now(scope);
  const lesson = await CourseLesson.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    unit_id: unit.id,
    class_id: unit.class_id,
    position: (last?.max ?? -1) + 1,
    title: input.title,
    body: input.body ?? '',
    attachments: attachments.stored,
    ...video,
    estimated_minutes: input.estimated_minutes ?? null,
    homework_id: input.homework_id ?? null,
    quiz_id: input.quiz_id ?? null,
    pass_percent: input.pass_percent ?? null,
    publish_at: publishValue(scope, input.publish_at) ?? null,
    prerequisite_lesson_id: input.prerequisite_lesson_id ?? null,
    created_at: at,
    updated_at: at,
  });
  await scope.db('course_units').where({ id: unit.id }).increment('version', 1);
  await attachResolved(scope, attachments, { kind: 'lesson', id: lesson.id, classId: unit.class_id });
  await audit(scope, 'course.lesson_created', { type: 'course_lesson', id: lesson.id }, { class_id: unit.class_id, title: lesson.title });
  return lesson;
}

/** The lesson row for staff actions, or for reading once the caller has checked locks. */
export async function lessonRow(scope: Scope, id: string): Promise<CourseLesson> {
  const lesson = await CourseLesson.query(scope.db).findOne({ id });
  if (!lesson) throw notFound('The lesson');
  return lesson;
}

export async function updateLesson(scope: Scope, id: string, input: UpdateLessonInput): Promise<CourseLesson> {
  const lesson = await lessonRow(scope, id);
  const unit = await findUnit(scope, lesson.unit_id, 'update');
  await writableClass(scope, unit.class_id);
  await checkQuizOfClass(scope, unit.class_id, input.quiz_id, 'quiz_id');
  await checkHomeworkOfClass(scope, unit.class_id, input.homework_id);
  await checkPrerequisite(scope, unit, input.prerequisite_lesson_id, lesson.id);
  const target = { kind: 'lesson' as const, id: lesson.id, classId: unit.class_id };
  const attachments = input.attachments === undefined ? undefined : await resolveAttachments(scope, input.attachments, target, 'attachments');
  const { publish_at, video_url, attachments: _a, ...plain } = input;
  const patch: Partial<CourseLesson> = { ...plain, updated_at: now(scope) };
  if (video_url !== undefined) Object.assign(patch, lessonVideo(scope, video_url));
  if (publish_at !== undefined) patch.publish_at = publishValue(scope, publish_at) ?? null;
  if (attachments) patch.attachments = attachments.stored;
  const updated = await CourseLesson.query(scope.db).patchAndFetchById(lesson.id, patch);
  if (attachments) await attachResolved(scope, attachments, target);
  await audit(scope, 'course.lesson_updated', { type: 'course_lesson', id: lesson.id }, { fields: Object.keys(input) });
  return updated ?? lesson;
}

export async function deleteLesson(scope: Scope, id: string): Promise<void> {
  const lesson = await lessonRow(scope, id);
  const unit = await findUnit(scope, lesson.unit_id, 'delete');
  await writableClass(scope, unit.class_id);
  await scope.db('course_units').where({ id: unit.id }).forUpdate().first('id');
  await CourseLesson.query(scope.db).delete().where({ id: lesson.id });
  await scope.db('course_units').where({ id: unit.id }).increment('version', 1);
  await audit(scope, 'course.lesson_deleted', { type: 'course_lesson', id: lesson.id }, { class_id: unit.class_id, title: lesson.title });
}
