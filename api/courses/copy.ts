// Copying a class's course into a new class (next term): the class's settings, its teachers, units
// and lessons, homework, quizzes with every question (options and answer key included), resources
// and topics, in the request's one transaction. No student data: no enrolments of students, no
// submissions, attempts, progress or certificates, and homework set for chosen students becomes
// homework for the whole class. Everything copied arrives as a draft (homework, quizzes, units,
// lessons), so nothing reaches the new class's students until its teacher publishes it.
// Every row gets a new id (made here, so links between copies are remapped before inserting);
// files attached to copied records are copied byte for byte under new keys, as a file belongs to
// one record.
import { randomBytes, randomUUID } from 'node:crypto';
import { audit } from '../audit/service.ts';
import { Class } from '../classes/model.ts';
import { createClass } from '../classes/service.ts';
import type { Attachment } from '../content/attachments.ts';
import { forbidden } from '../errors.ts';
import type { AttachedKind } from '../files/model.ts';
import type { Storage } from '../files/storage.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { courseClass } from './service.ts';

type Row = Record<string, unknown> & { id: string };

export type CopyResult = { class_id: string; counts: Record<string, number> };

/** The steps of a copy, in order (a background copy reports them as it goes). */
export const COPY_STEPS = ['class', 'topics', 'resources', 'homework', 'quizzes', 'questions', 'course', 'units', 'lessons'] as const;
export type CopyStep = (typeof COPY_STEPS)[number];
/** Called after each step with how many are done; a background copy records it elsewhere. */
export type OnStep = (step: CopyStep, done: number, total: number) => Promise<void>;

/** Rows a copy writes (files count more: their bytes are copied too). Above COPY_INLINE_MAX the
 * copy runs as a background job with progress (api/courses/copy-job.ts). */
export async function copySize(scope: Scope, classId: string): Promise<number> {
  const [row] = (
    await scope.db.raw(
      `select (select count(*) from resource_topics where class_id = :c) + (select count(*) from resources where class_id = :c)
          + (select count(*) from homework where class_id = :c) + (select count(*) from quizzes where class_id = :c)
          + (select count(*) from quiz_questions q join quizzes z on z.tenant_id = q.tenant_id and z.id = q.quiz_id where z.class_id = :c)
          + (select count(*) from course_units where class_id = :c) + (select count(*) from course_lessons where class_id = :c)
          + 20 * (select count(*) from files where class_id = :c and attached_kind in ('homework', 'resource', 'lesson')) as size`,
      { c: classId },
    )
  ).rows as { size: string }[];
  return Number(row?.size ?? 0);
}
export const COPY_INLINE_MAX = 2_000;

/** Who may copy this class's course: its builders, who may also create classes. */
export async function copyableClass(scope: Scope, sourceClassId: string) {
  const source = await courseClass(scope, sourceClassId, 'update');
  if (scope.ability.cannot('create', 'Class')) throw forbidden('Only teachers and admins can create classes.');
  return source;
}

export async function copyCourse(scope: Scope, storage: Storage, sourceClassId: string, name: string, onStep?: OnStep): Promise<CopyResult> {
  const source = await copyableClass(scope, sourceClassId);
  let done = 0;
  const step = async (which: CopyStep) => {
    done += 1;
    if (onStep) await onStep(which, done, COPY_STEPS.length);
  };
  const created = await createClass(scope, {
    name,
    ...(source.subject ? { subject: source.subject } : {}),
    ...(source.grade_level ? { grade_level: source.grade_level } : {}),
    ...(source.description ? { description: source.description } : {}),
  });
  const target = created.id;
  const at = now(scope);
  await Class.query(scope.db)
    .patch({ grade_weights: source.grade_weights as never })
    .where({ id: target });
  // The teachers come along (staff, not student data).
  await scope.db.raw(
    `insert into enrollments (tenant_id, class_id, user_id, role)
     select tenant_id, ?, user_id, role from enrollments where class_id = ? and role = 'teacher'
     on conflict do nothing`,
    [target, sourceClassId],
  );
  const ctx: Ctx = { scope, storage, target, at, generated: new Map() };
  const counts: Record<string, number> = {};
  await step('class');

  const topics = await copyRows(ctx, 'resource_topics', await rows(ctx, 'resource_topics', { class_id: sourceClassId }), () => ({}));
  counts.resource_topics = topics.size;
  await step('topics');
  const resources = await rows(ctx, 'resources', { class_id: sourceClassId });
  const resourceIds = newIds(resources);
  for (const r of resources) {
    if (r.attachment) r.attachment = await copyAttachment(ctx, r.attachment as Attachment, 'resource', resourceIds.get(r.id) as string);
  }
  await copyRows(ctx, 'resources', resources, (r) => ({ topic_id: r.topic_id ? topics.get(r.topic_id as string) : null }), resourceIds);
  counts.resources = resources.length;
  await step('resources');

  const homework = await rows(ctx, 'homework', { class_id: sourceClassId });
  const homeworkIds = newIds(homework);
  for (const h of homework) h.attachments = await copyAttachments(ctx, h.attachments, 'homework', homeworkIds.get(h.id) as string);
  await copyRows(ctx, 'homework', homework, () => ({ publish_at: null, assign_to_all: true }), homeworkIds);
  counts.homework = homework.length;
  await step('homework');

  const quizzes = await copyRows(ctx, 'quizzes', await rows(ctx, 'quizzes', { class_id: sourceClassId }), () => ({
    status: 'draft',
    published_at: null,
    results_released_at: null,
    score_released_at: null,
    correctness_released_at: null,
    answers_released_at: null,
  }));
  counts.quizzes = quizzes.size;
  await step('quizzes');
  const questions = await scope
    .db('quiz_questions')
    .whereIn('quiz_id', [...quizzes.keys()])
    .select('*');
  await copyRows(ctx, 'quiz_questions', questions as Row[], (q) => ({ quiz_id: quizzes.get(q.quiz_id as string) }));
  counts.quiz_questions = questions.length;
  await step('questions');

  const courses = await rows(ctx, 'courses', { class_id: sourceClassId });
  const courseIds = await copyRows(ctx, 'courses', courses, () => ({ version: 0 }));
  await step('course');
  const units = await rows(ctx, 'course_units', { class_id: sourceClassId });
  const unitIds = await copyRows(ctx, 'course_units', units, (u) => ({
    course_id: courseIds.get(u.course_id as string),
    gate_quiz_id: u.gate_quiz_id ? quizzes.get(u.gate_quiz_id as string) : null,
    publish_at: null,
    version: 0,
  }));
  await step('units');
  const lessons = await rows(ctx, 'course_lessons', { class_id: sourceClassId });
  const lessonIds = newIds(lessons);
  for (const l of lessons) l.attachments = await copyAttachments(ctx, l.attachments, 'lesson', lessonIds.get(l.id) as string);
  await copyRows(
    ctx,
    'course_lessons',
    lessons,
    (l) => ({
      unit_id: unitIds.get(l.unit_id as string),
      homework_id: l.homework_id ? homeworkIds.get(l.homework_id as string) : null,
      quiz_id: l.quiz_id ? quizzes.get(l.quiz_id as string) : null,
      prerequisite_lesson_id: l.prerequisite_lesson_id ? lessonIds.get(l.prerequisite_lesson_id as string) : null,
      publish_at: null,
    }),
    lessonIds,
  );
  counts.course_units = units.length;
  counts.course_lessons = lessons.length;
  await step('lessons');
  await audit(scope, 'course.copied', { type: 'class', id: target }, { from_class_id: sourceClassId, counts });
  return { class_id: target, counts };
}

type Ctx = { scope: Scope; storage: Storage; target: string; at: Date; generated: Map<string, Set<string>> };

async function rows(ctx: Ctx, table: string, where: Record<string, unknown>): Promise<Row[]> {
  return (await ctx.scope.db(table).where(where).orderBy('id').select('*')) as Row[];
}

const newIds = (list: Row[]) => new Map(list.map((r) => [r.id, randomUUID()]));

/** Columns PostgreSQL computes (search vectors): never inserted. */
async function generatedColumns(ctx: Ctx, table: string): Promise<Set<string>> {
  let found = ctx.generated.get(table);
  if (!found) {
    const cols: string[] = await ctx.scope
      .db('information_schema.columns')
      .where({ table_name: table, is_generated: 'ALWAYS' })
      .whereRaw('table_schema = current_schema()')
      .pluck('column_name');
    found = new Set(cols);
    ctx.generated.set(table, found);
  }
  return found;
}

/** Inserts copies with new ids (given, or made here) into the target class; returns old → new id. */
async function copyRows(ctx: Ctx, table: string, list: Row[], change: (row: Row) => Record<string, unknown>, ids = newIds(list)): Promise<Map<string, string>> {
  if (list.length === 0) return ids;
  const skip = await generatedColumns(ctx, table);
  const me = actorUserId(ctx.scope.actor) ?? null;
  const copies = list.map((row) => {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) if (!skip.has(key)) copy[key] = value;
    if ('created_by' in copy) copy.created_by = me;
    if ('created_at' in copy) copy.created_at = ctx.at;
    if ('updated_at' in copy) copy.updated_at = ctx.at;
    for (const key of ['attachments', 'attachment', 'options', 'key', 'grade_weights', 'question_order', 'option_order']) {
      if (key in copy && copy[key] !== null && typeof copy[key] === 'object') copy[key] = JSON.stringify(copy[key]);
    }
    // Only columns the table has (a column dropped by a later migration is simply not there).
    const changed = Object.fromEntries(Object.entries(change(row)).filter(([k]) => k in row));
    return { ...copy, ...changed, id: ids.get(row.id), ...('class_id' in row ? { class_id: ctx.target } : {}) };
  });
  for (let i = 0; i < copies.length; i += 500) await ctx.scope.db(table).insert(copies.slice(i, i + 500));
  return ids;
}

async function copyAttachments(ctx: Ctx, stored: unknown, kind: AttachedKind, recordId: string): Promise<Attachment[]> {
  if (!Array.isArray(stored)) return [];
  const out: Attachment[] = [];
  for (const a of stored as Attachment[]) out.push(await copyAttachment(ctx, a, kind, recordId));
  return out;
}

/** A link as it is; a file copied (bytes and row) and attached to the new record. */
async function copyAttachment(ctx: Ctx, attachment: Attachment, kind: AttachedKind, recordId: string): Promise<Attachment> {
  if (!('file_id' in attachment)) return attachment;
  const file = (await ctx.scope.db('files').where({ id: attachment.file_id }).first('*')) as Row | undefined;
  if (!file) return attachment;
  const key = `${ctx.scope.tenant.id}/${randomBytes(18).toString('base64url')}`;
  await ctx.storage.put(key, await ctx.storage.get(file.storage_key as string), file.content_type as string);
  const id = randomUUID();
  const { id: _id, scan_result: _s, ...rest } = file;
  await ctx.scope.db('files').insert({
    ...rest,
    id,
    storage_key: key,
    scan_result: file.scan_result ?? null,
    attached_kind: kind,
    attached_id: recordId,
    class_id: ctx.target,
    attached_at: ctx.at,
    created_at: ctx.at,
  });
  return { ...attachment, file_id: id };
}
