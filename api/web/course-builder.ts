// Building a class's course in the browser (issue #18): the course's settings and a new unit on
// the outline page (api/web/courses.ts), publishing a unit, and the lesson form (new and edit:
// Markdown with Preview, a video link, files, minutes, a prerequisite, a linked quiz or homework,
// draft or published). Every form is checked with the API's own schema (checkForm) and saved
// through the same services as the API, so a mistake comes back beside its field with the input kept.
import { z } from 'zod';
import { renderMarkdown } from '../content/markdown.ts';
import { schoolClock } from '../content/school-time.ts';
import { COPY_INLINE_MAX, copyableClass, copyCourse, copySize } from '../courses/copy.ts';
import { findCopy, presentCopy, queueCourseCopy } from '../courses/copy-job.ts';
import { copyInput, courseSettingsInput, lessonInput, unitInput, updateLessonInput } from '../courses/schema.ts';
import {
  courseClass,
  courseOf,
  createLesson,
  createUnit,
  findUnit,
  lessonRow,
  reorderLessons,
  reorderUnits,
  updateCourseSettings,
  updateLesson,
  updateUnit,
} from '../courses/service.ts';
import { fileServices } from '../files/service.ts';
import { now, type Scope } from '../scope.ts';
import { fileAttachments, fileIdsField, filesErrors, pickedFiles } from './attach.ts';
import { fieldErrorsOf, wallClock } from './classes.ts';
import { coursePage } from './courses.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const csrf = z.string().max(200).optional();
const short = z.string().max(200).optional();
/** '' from an empty field or select: not given. */
const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : v.trim());
const whole = (v: string | undefined) => {
  const b = blank(v);
  return b === null ? null : /^\d+$/.test(b) ? Number(b) : Number.NaN;
};

export const settingsFormBody = z.object({ _csrf: csrf, course_title: z.string().max(1000), pass_percent: short, certificates: short });
export const unitFormBody = z.object({
  _csrf: csrf,
  title: z.string().max(1000),
  summary: z.string().max(5000).optional(),
  publish: z.enum(['now', 'later', 'draft']).optional(),
  publish_at: short,
  gate_quiz_id: short,
  gate_percent: short,
});
export type UnitFormBody = Partial<z.infer<typeof unitFormBody>>;
const publishFormBody = z.object({ _csrf: csrf, publish: z.enum(['now', 'draft']) });
/** Move up or down: the whole new order goes to the same reorder service as the API, checked
 * against the version the page showed (someone else's reorder in between is a 409 page). */
const moveFormBody = z.object({ _csrf: csrf, direction: z.enum(['up', 'down']), version: z.coerce.number().int().min(0) });

/** The order with `id` moved one place up or down (unchanged at either end). */
function moved(ids: string[], id: string, direction: 'up' | 'down'): string[] {
  const order = [...ids];
  const at = order.indexOf(id);
  const to = direction === 'up' ? at - 1 : at + 1;
  if (at < 0 || to < 0 || to >= order.length) return order;
  [order[at], order[to]] = [order[to] as string, order[at] as string];
  return order;
}

export const lessonFormBody = z.object({
  _csrf: csrf,
  title: z.string().max(1000),
  body: z.string().max(200_000),
  video_url: z.string().max(3000).optional(),
  estimated_minutes: short,
  prerequisite_lesson_id: short,
  quiz_id: short,
  homework_id: short,
  pass_percent: short,
  publish: z.enum(['now', 'later', 'draft']).optional(),
  publish_at: short,
  file_ids: fileIdsField,
  action: z.enum(['save', 'preview']).optional(),
});
type LessonFormBody = Partial<z.infer<typeof lessonFormBody>>;

/** "Now", "At a set time" (the datetime field, school time) or "Keep as a draft", as the API's publish_at. */
const releaseFromForm = (body: { publish?: 'now' | 'later' | 'draft' | undefined; publish_at?: string | undefined }) =>
  body.publish === 'now' ? 'now' : body.publish === 'later' ? (wallClock(body.publish_at) ?? '') : null;

export function unitInputFromForm(body: z.infer<typeof unitFormBody>) {
  return {
    title: body.title,
    summary: body.summary ?? '',
    publish_at: releaseFromForm(body),
    gate_quiz_id: blank(body.gate_quiz_id),
    gate_percent: whole(body.gate_percent),
  };
}

function lessonInputFromForm(body: z.infer<typeof lessonFormBody>, links: unknown[] = []) {
  return {
    title: body.title,
    body: body.body,
    video_url: blank(body.video_url),
    estimated_minutes: whole(body.estimated_minutes),
    prerequisite_lesson_id: blank(body.prerequisite_lesson_id),
    quiz_id: blank(body.quiz_id),
    homework_id: blank(body.homework_id),
    pass_percent: whole(body.pass_percent),
    publish_at: releaseFromForm(body),
    attachments: [...links, ...fileAttachments(body.file_ids)],
  };
}

/** What the builder's selects offer: the class's quizzes and homework, the course's lessons. */
export async function builderChoices(scope: Scope, classId: string, selected: { quiz?: string | null; homework?: string | null; lesson?: string | null } = {}) {
  const mark = <T extends { id: string }>(rows: T[], chosen: string | null | undefined) => rows.map((r) => ({ ...r, chosen: r.id === chosen }));
  const quizzes: { id: string; title: string }[] = await scope.db('quizzes').where({ class_id: classId }).orderBy(['title', 'id']).select('id', 'title');
  const homework: { id: string; title: string }[] = await scope.db('homework').where({ class_id: classId }).orderBy(['title', 'id']).select('id', 'title');
  const course = await courseOf(scope, classId);
  const lessons: { id: string; title: string; unit: string }[] = course
    ? await scope
        .db('course_lessons as l')
        .join('course_units as u', (j) => j.on('u.tenant_id', 'l.tenant_id').andOn('u.id', 'l.unit_id'))
        .where('u.course_id', course.id)
        .orderBy(['u.position', 'l.position', 'l.id'])
        .select('l.id', 'l.title', 'u.title as unit')
    : [];
  return {
    quizzes: mark(quizzes, selected.quiz),
    homework: mark(homework, selected.homework),
    lessons: mark(lessons, selected.lesson),
  };
}

type LessonEdit = { id: string; title: string; published: boolean; links: unknown[] };

async function lessonForm(scope: Scope, unitId: string, form: LessonFormBody, errors?: FieldErrors, preview?: string, edit?: LessonEdit) {
  const unit = await findUnit(scope, unitId, edit ? 'update' : 'create');
  const klass = await courseClass(scope, unit.class_id, 'update');
  const choices = await builderChoices(scope, unit.class_id, { quiz: form.quiz_id, homework: form.homework_id, lesson: form.prerequisite_lesson_id });
  return {
    title: edit ? `Edit · ${edit.title}` : `New lesson · ${unit.title}`,
    klass: { id: klass.id, name: klass.name },
    unit: { id: unit.id, title: unit.title },
    edit,
    form,
    errors: errors && filesErrors(errors),
    ...choices,
    // A lesson cannot wait for itself.
    lessons: choices.lessons.filter((l) => l.id !== edit?.id),
    files: await pickedFiles(scope, form.file_ids),
    preview: preview === undefined ? undefined : { html: preview },
    scripts: ['upload.js'],
  };
}

const copyFormBody = z.object({ _csrf: csrf, name: z.string().max(1000) });

async function copyForm(scope: Scope, classId: string, form: { name?: string }, errors?: FieldErrors) {
  const klass = await copyableClass(scope, classId);
  return {
    title: `Copy · ${klass.name}`,
    klass: { id: klass.id, name: klass.name },
    form: { name: form.name ?? `${klass.name} (copy)` },
    errors,
    background: (await copySize(scope, classId)) > COPY_INLINE_MAX,
  };
}

export const courseBuilderPages = [
  pageRoute({
    method: 'get',
    path: '/classes/:id/course/copy',
    summary: 'Copy this class’s course into a new class: the form',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'course-copy-form', await copyForm(scope, params.id, {})),
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/course/copy',
    summary: 'Copy this class’s course into a new class (a large class: as a background job with progress)',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: copyFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const checked = checkForm(copyInput, { name: body.name });
      if (!checked.ok) return { ...page(scope, deps, 'course-copy-form', await copyForm(scope, params.id, body, checked.errors)), status: 422 };
      if ((await copySize(scope, params.id)) > COPY_INLINE_MAX) {
        const copy = await queueCourseCopy(scope, params.id, checked.data.name);
        return { redirect: `/course-copies/${copy.id}` };
      }
      const result = await copyCourse(scope, fileServices(deps.config.files).storage, params.id, checked.data.name);
      return { redirect: `/classes/${result.class_id}/course` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/course-copies/:id',
    summary: 'A background course copy: how far it has got (reload to follow it), then a link to the new class',
    access: { action: 'update', subject: 'Course' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const copy = presentCopy(await findCopy(scope, params.id));
      const source = (await scope.db('classes').where({ id: copy.source_class_id }).first('id', 'name')) as { id: string; name: string };
      return page(scope, deps, 'course-copy', {
        title: `Copying · ${copy.name}`,
        copy,
        source,
        working: copy.status === 'queued' || copy.status === 'running',
        done: copy.status === 'done',
        failed: copy.status === 'failed',
        scripts: ['course-copy.js'],
      });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/course/settings',
    summary: 'Set the course’s title, completion percentage and certificates',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: settingsFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const input = { title: blank(body.course_title), pass_percent: whole(body.pass_percent), certificates: body.certificates === 'on' };
      const checked = checkForm(courseSettingsInput, input);
      const again = async (errors: FieldErrors) => ({
        ...page(
          scope,
          deps,
          'course',
          await coursePage(scope, params.id, {
            settingsForm: { title: body.course_title, pass_percent: body.pass_percent, certificates: body.certificates === 'on' },
            settingsErrors: errors,
          }),
        ),
        status: 422,
      });
      if (!checked.ok) return again(checked.errors);
      await updateCourseSettings(scope, params.id, checked.data);
      return { redirect: `/classes/${params.id}/course` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/course/units',
    summary: 'Add a unit to the course (published now or a draft)',
    access: { action: 'create', subject: 'Course' },
    params: idParams,
    form: true,
    body: unitFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const again = async (errors: FieldErrors) => ({
        ...page(scope, deps, 'course', await coursePage(scope, params.id, { unitForm: body, unitErrors: errors })),
        status: 422,
      });
      const checked = checkForm(unitInput, unitInputFromForm(body));
      if (!checked.ok) return again(checked.errors);
      try {
        const unit = await createUnit(scope, params.id, checked.data);
        return { redirect: `/classes/${params.id}/course#unit-${unit.id}` };
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return again(errors);
        throw error;
      }
    },
  }),
  pageRoute({
    method: 'post',
    path: '/course-units/:id/publish',
    summary: 'Publish a unit now, or take it back to a draft',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: publishFormBody,
    handler: async ({ scope, params, body }) => {
      const unit = await updateUnit(scope, params.id, { publish_at: body.publish === 'now' ? 'now' : null });
      return { redirect: `/classes/${unit.class_id}/course#unit-${unit.id}` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/course-units/:id/move',
    summary: 'Move a unit one place up or down the course',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: moveFormBody,
    handler: async ({ scope, params, body }) => {
      const unit = await findUnit(scope, params.id, 'update');
      const ids: string[] = await scope.db('course_units').where({ course_id: unit.course_id }).orderBy(['position', 'id']).pluck('id');
      await reorderUnits(scope, unit.class_id, { unit_ids: moved(ids, unit.id, body.direction), version: body.version });
      return { redirect: `/classes/${unit.class_id}/course#unit-${unit.id}` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/lessons/:id/move',
    summary: 'Move a lesson one place up or down its unit',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: moveFormBody,
    handler: async ({ scope, params, body }) => {
      const lesson = await lessonRow(scope, params.id);
      const unit = await findUnit(scope, lesson.unit_id, 'update');
      const ids: string[] = await scope.db('course_lessons').where({ unit_id: unit.id }).orderBy(['position', 'id']).pluck('id');
      await reorderLessons(scope, unit.id, { lesson_ids: moved(ids, lesson.id, body.direction), version: body.version });
      return { redirect: `/classes/${unit.class_id}/course#lesson-${lesson.id}` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/course-units/:id/lessons/new',
    summary: 'Add a lesson: the form',
    access: { action: 'create', subject: 'Course' },
    params: idParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'lesson-form', await lessonForm(scope, params.id, { publish: 'now' })),
  }),
  pageRoute({
    method: 'post',
    path: '/course-units/:id/lessons',
    summary: 'Add a lesson (Preview shows the Markdown as students will see it, saving nothing)',
    access: { action: 'create', subject: 'Course' },
    params: idParams,
    form: true,
    body: lessonFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const again = async (errors?: FieldErrors, preview?: string) => ({
        ...page(scope, deps, 'lesson-form', await lessonForm(scope, params.id, body, errors, preview)),
        ...(errors ? { status: 422 } : {}),
      });
      if (body.action === 'preview') return again(undefined, renderMarkdown(body.body));
      const checked = checkForm(lessonInput, lessonInputFromForm(body));
      if (!checked.ok) return again(checked.errors);
      try {
        const lesson = await createLesson(scope, params.id, checked.data);
        return { redirect: `/classes/${lesson.class_id}/course#unit-${lesson.unit_id}` };
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return again(errors);
        throw error;
      }
    },
  }),
  pageRoute({
    method: 'get',
    path: '/lessons/:id/edit',
    summary: 'Change a lesson: the form',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const { lesson, edit } = await editable(scope, params.id);
      const form: LessonFormBody = {
        title: lesson.title,
        body: lesson.body,
        video_url: lesson.video_url ?? '',
        estimated_minutes: lesson.estimated_minutes === null ? '' : String(lesson.estimated_minutes),
        prerequisite_lesson_id: lesson.prerequisite_lesson_id ?? '',
        quiz_id: lesson.quiz_id ?? '',
        homework_id: lesson.homework_id ?? '',
        pass_percent: lesson.pass_percent === null ? '' : String(lesson.pass_percent),
        // A lesson released at a later time shows that time: saving the form keeps it.
        publish: lesson.publish_at === null ? 'draft' : edit.published ? 'now' : 'later',
        publish_at: lesson.publish_at === null || edit.published ? '' : (schoolClock(scope, lesson.publish_at) ?? '').slice(0, 16),
        file_ids: fileIdsOf(lesson.attachments),
      };
      return page(scope, deps, 'lesson-form', await lessonForm(scope, lesson.unit_id, form, undefined, undefined, edit));
    },
  }),
  pageRoute({
    method: 'post',
    path: '/lessons/:id/edit',
    summary: 'Change a lesson',
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    form: true,
    body: lessonFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const { lesson, edit } = await editable(scope, params.id);
      const again = async (errors?: FieldErrors, preview?: string) => ({
        ...page(scope, deps, 'lesson-form', await lessonForm(scope, lesson.unit_id, body, errors, preview, edit)),
        ...(errors ? { status: 422 } : {}),
      });
      if (body.action === 'preview') return again(undefined, renderMarkdown(body.body));
      const { publish_at, ...input } = lessonInputFromForm(body, edit.links);
      // "Published" on a published lesson keeps its release time.
      const checked = checkForm(updateLessonInput, edit.published && publish_at === 'now' ? input : { ...input, publish_at });
      if (!checked.ok) return again(checked.errors);
      try {
        await updateLesson(scope, lesson.id, checked.data);
        return { redirect: `/lessons/${lesson.id}` };
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return again(errors);
        throw error;
      }
    },
  }),
];

const fileIdsOf = (attachments: unknown): string[] =>
  Array.isArray(attachments) ? attachments.flatMap((a) => (a && typeof a === 'object' && 'file_id' in a ? [String(a.file_id)] : [])) : [];

/** The lesson, if this person may change it, and what the form keeps that it does not show (links). */
async function editable(scope: Scope, id: string) {
  const lesson = await lessonRow(scope, id);
  await findUnit(scope, lesson.unit_id, 'update');
  const links = Array.isArray(lesson.attachments) ? (lesson.attachments as object[]).filter((a) => !('file_id' in a)) : [];
  const published = lesson.publish_at !== null && new Date(lesson.publish_at) <= now(scope);
  return { lesson, edit: { id: lesson.id, title: lesson.title, published, links } satisfies LessonEdit };
}
