// Class pages: my classes (and joining one by code), and one class's page in the shape people
// know from Google Classroom: the stream of notices (pinned first), classwork (homework, quizzes,
// resources) and people; teachers also see the join code and set homework from here.
import { z } from 'zod';
import { createClassInput, joinClassInput } from '../classes/schema.ts';
import { createClass, findClass, joinClass, listClasses, listPeople, presentClass, updateClass } from '../classes/service.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { AppError } from '../errors.ts';
import { presentHomework } from '../homework/present.ts';
import { createHomeworkInput } from '../homework/schema.ts';
import { createHomework, listHomework } from '../homework/service.ts';
import { createNoticeInput } from '../notices/schema.ts';
import { createClassNotice, listClassNotices, presentNotice } from '../notices/service.ts';
import { listQuizzes } from '../quizzes/service.ts';
import type { ResourceView } from '../resources/schema.ts';
import { listResources, listTopics, presentResource } from '../resources/service.ts';
import type { Scope } from '../scope.ts';
import { fileAttachments, fileIdsField, filesErrors, pickedFiles } from './attach.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const LIST = 100;

/** Each list on the class page shows up to LIST items; a longer one continues on the next page
 * of that list alone (`?homework_after=<next_cursor>`: the API's keyset cursor). */
const classQuery = z.object({
  homework_after: z.string().max(500).optional(),
  quizzes_after: z.string().max(500).optional(),
  resources_after: z.string().max(500).optional(),
  people_after: z.string().max(500).optional(),
});
type ClassCursors = z.infer<typeof classQuery>;

const after = (cursor: string | undefined) => ({ limit: LIST, ...(cursor ? { cursor } : {}) });
const moreLink = (id: string, list: keyof ClassCursors, next: string | null) => (next ? `/classes/${id}?${list}=${encodeURIComponent(next)}` : undefined);

/** Resources under their topics, in the teacher's order (the API sorts by topic, then place):
 * the ungrouped ones first, then one group per topic. */
export function groupByTopic(resources: ResourceView[], topics: { id: string; title: string }[]) {
  const titles = new Map(topics.map((t) => [t.id, t.title]));
  const groups: { id: string | null; title: string | undefined; resources: ResourceView[] }[] = [];
  for (const r of resources) {
    const last = groups.at(-1);
    if (last && last.id === r.topic_id) last.resources.push(r);
    else groups.push({ id: r.topic_id, title: r.topic_id ? titles.get(r.topic_id) : undefined, resources: [r] });
  }
  return groups;
}

async function resourceGroups(scope: Scope, classId: string, cursor: string | undefined) {
  const resources = await listResources(scope, classId, after(cursor));
  const topics = resources.data.some((r) => r.topic_id) ? (await listTopics(scope, classId, { limit: LIST })).data : [];
  return { groups: groupByTopic(resources.data.map(presentResource), topics), next: resources.next_cursor };
}

async function classPage(scope: Scope, id: string, cursors: ClassCursors = {}) {
  const klass = presentClass(scope, await findClass(scope, id));
  const [notices, homework, quizzes, resources] = [
    await listClassNotices(scope, id, { limit: 25 }),
    await listHomework(scope, id, after(cursors.homework_after)),
    await listQuizzes(scope, id, after(cursors.quizzes_after)),
    await resourceGroups(scope, id, cursors.resources_after),
  ];
  // Guardians see the class's work, not its roster.
  const roster =
    scope.ability.can('read', 'Class') && scope.actor.type === 'user' && scope.actor.user.role !== 'guardian'
      ? await listPeople(scope, id, after(cursors.people_after))
      : { data: [], next_cursor: null };
  const people = roster.data;
  const teaches = scope.ability.can('create', 'Homework');
  const posts = scope.ability.can('create', 'Notice') && !klass.archived;
  return {
    title: klass.name,
    klass,
    teaches,
    posts,
    manages: scope.ability.can('update', 'Class'),
    notices: notices.data.map((n) => presentNotice(scope, n)).sort((a, b) => Number(b.pinned) - Number(a.pinned)),
    homework: homework.data.map((h) => presentHomework(scope, h.homework, h.assigneeIds)),
    quizzes: quizzes.data.map((q) => ({ id: q.id, title: q.title })),
    resourceGroups: resources.groups,
    more: {
      homework: moreLink(id, 'homework_after', homework.next_cursor),
      quizzes: moreLink(id, 'quizzes_after', quizzes.next_cursor),
      resources: resources.next ? `/classes/${id}/resources?cursor=${encodeURIComponent(resources.next)}` : undefined,
      people: moreLink(id, 'people_after', roster.next_cursor),
    },
    teachers: people.filter((p) => p.role === 'teacher'),
    students: people.filter((p) => p.role === 'student'),
    scripts: posts ? ['upload.js'] : [],
  };
}

async function classesPage(scope: Scope, extra: { errors?: FieldErrors; code?: string; name?: string } = {}, cursor?: string) {
  const classes = await listClasses(scope, after(cursor));
  return {
    title: 'Classes',
    current: '/classes',
    classes: classes.data.map((c) => presentClass(scope, c)),
    nextPage: classes.next_cursor ? `/classes?cursor=${encodeURIComponent(classes.next_cursor)}` : undefined,
    canJoin: scope.ability.can('join', 'Class'),
    canCreate: scope.ability.can('create', 'Class'),
    ...extra,
  };
}

const noticeForm = z.object({
  _csrf: z.string().max(200).optional(),
  title: z.string().max(1000),
  body: z.string().max(100_000),
  important: z.literal('on').optional(),
  pinned: z.literal('on').optional(),
  file_ids: fileIdsField,
  /** "Preview" shows the text as students will see it and keeps the form; "save" posts it. */
  action: z.enum(['save', 'preview']).optional(),
});

export const homeworkFormBody = z.object({
  _csrf: z.string().max(200).optional(),
  title: z.string().max(1000),
  instructions: z.string().max(100_000),
  points: z.string().max(20),
  due_at: z.string().max(100),
  late_until: z.string().max(100).optional(),
  publish: z.enum(['now', 'later', 'draft']),
  publish_at: z.string().max(100).optional(),
  assign: z.enum(['all', 'some']).optional(),
  assignee_ids: z.union([z.string().max(100), z.array(z.string().max(100)).max(1000)]).optional(),
  file_ids: fileIdsField,
  action: z.enum(['save', 'preview']).optional(),
});
export type HomeworkFormBody = Partial<z.infer<typeof homeworkFormBody>>;

// <input type="datetime-local"> gives the school's wall-clock time without seconds.
/** A datetime-local field's value as the API's school time (seconds added), or null when empty. */
export const wallClock = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : v.length === 16 ? `${v}:00` : v);
const listOf = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The homework form as the API's homework input. */
export function homeworkInputFromForm(body: z.infer<typeof homeworkFormBody>) {
  return {
    title: body.title,
    instructions: body.instructions,
    points: body.points.trim() === '' ? null : Number(body.points),
    due_at: wallClock(body.due_at) ?? '',
    late_until: wallClock(body.late_until),
    publish_at: body.publish === 'now' ? 'now' : body.publish === 'later' ? (wallClock(body.publish_at) ?? '') : null,
    assignee_ids: body.assign === 'some' ? listOf(body.assignee_ids) : null,
    attachments: fileAttachments(body.file_ids),
  };
}

/** The homework form, for a new homework or (`edit`) an existing one (api/web/homework.ts). */
export async function homeworkForm(
  scope: Scope,
  classId: string,
  form: HomeworkFormBody,
  errors?: FieldErrors,
  preview?: string,
  edit?: { id: string; title: string; published: boolean },
) {
  const klass = presentClass(scope, await findClass(scope, classId, 'update'));
  const chosen = new Set(listOf(form.assignee_ids));
  const students = (await listPeople(scope, classId, { limit: LIST })).data
    .filter((p) => p.role === 'student')
    .map((p) => ({ ...p, chosen: chosen.has(p.id) }));
  const files = await pickedFiles(scope, form.file_ids);
  return {
    title: edit ? `Edit · ${edit.title}` : 'New homework',
    klass,
    edit,
    form,
    errors: errors && filesErrors(errors),
    students,
    files,
    preview: preview === undefined ? undefined : { html: preview },
    scripts: ['upload.js'],
  };
}

/** The class page with the notice form kept (after a mistake, or to show its preview). */
async function classPageWithNotice(scope: Scope, id: string, body: z.infer<typeof noticeForm>, errors?: FieldErrors, preview?: string) {
  return {
    ...(await classPage(scope, id)),
    noticeForm: body,
    noticeErrors: errors && filesErrors(errors),
    noticeFiles: await pickedFiles(scope, body.file_ids),
    noticePreview: preview === undefined ? undefined : { html: preview },
    noticeOpen: true,
  };
}

/** A validation problem from a service (a file that cannot be attached) as field errors. */
export function fieldErrorsOf(error: unknown): FieldErrors | undefined {
  if (error instanceof AppError && error.code === 'validation-failed' && error.errors?.length)
    return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
  return undefined;
}

export const classPages = [
  pageRoute({
    method: 'get',
    path: '/classes',
    summary: 'My classes; students join one by code here',
    access: { action: 'read', subject: 'Class' },
    allowReadOnly: true,
    query: z.object({ cursor: z.string().max(500).optional() }),
    handler: async ({ scope, deps, query }) => page(scope, deps, 'classes', await classesPage(scope, {}, query.cursor)),
  }),
  pageRoute({
    method: 'post',
    path: '/classes/join',
    summary: 'Join a class with the code the teacher gave',
    access: { action: 'join', subject: 'Class' },
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), code: z.string().max(100) }),
    handler: async ({ scope, deps, body }) => {
      const checked = checkForm(joinClassInput, { code: body.code });
      if (!checked.ok) return { ...page(scope, deps, 'classes', await classesPage(scope, { errors: checked.errors, code: body.code })), status: 422 };
      try {
        const joined = await joinClass(scope, checked.data.code);
        return { redirect: `/classes/${joined.class.id}` };
      } catch (error) {
        if (error instanceof AppError && error.status < 500) {
          return { ...page(scope, deps, 'classes', await classesPage(scope, { errors: { code: error.message }, code: body.code })), status: error.status };
        }
        throw error;
      }
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes',
    summary: 'Create a class (the teacher becomes its owner)',
    access: { action: 'create', subject: 'Class' },
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), name: z.string().max(500) }),
    handler: async ({ scope, deps, body }) => {
      const checked = checkForm(createClassInput, { name: body.name });
      if (!checked.ok) return { ...page(scope, deps, 'classes', await classesPage(scope, { errors: checked.errors, name: body.name })), status: 422 };
      const created = await createClass(scope, checked.data);
      return { redirect: `/classes/${created.id}` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id',
    summary: 'A class: stream, classwork and people',
    access: { action: 'read', subject: 'Class' },
    allowReadOnly: true,
    params: idParams,
    query: classQuery,
    handler: async ({ scope, deps, params, query }) => page(scope, deps, 'class', await classPage(scope, params.id, query)),
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id/resources',
    summary: 'A class’s resources, grouped by topic in the teacher’s order (100 to a page)',
    access: { action: 'read', subject: 'Class' },
    allowReadOnly: true,
    params: idParams,
    query: z.object({ cursor: z.string().max(500).optional() }),
    handler: async ({ scope, deps, params, query }) => {
      const klass = await findClass(scope, params.id);
      const { groups, next } = await resourceGroups(scope, params.id, query.cursor);
      return page(scope, deps, 'resources', {
        title: `Resources · ${klass.name}`,
        klass: { id: klass.id, name: klass.name },
        resourceGroups: groups,
        nextPage: next ? `/classes/${klass.id}/resources?cursor=${encodeURIComponent(next)}` : undefined,
        firstPage: query.cursor ? `/classes/${klass.id}/resources` : undefined,
      });
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/archive',
    summary: 'Archive the class (read-only for everyone), or bring it back',
    access: { action: 'update', subject: 'Class' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional(), archived: z.enum(['true', 'false']) }),
    handler: async ({ scope, params, body }) => {
      await updateClass(scope, params.id, { archived: body.archived === 'true' });
      return { redirect: `/classes/${params.id}` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/notices',
    summary: 'Post a notice to the class stream',
    access: { action: 'create', subject: 'Notice' },
    params: idParams,
    form: true,
    body: noticeForm,
    handler: async ({ scope, deps, params, body }) => {
      if (body.action === 'preview') return page(scope, deps, 'class', await classPageWithNotice(scope, params.id, body, undefined, renderMarkdown(body.body)));
      const input = {
        title: body.title,
        body: body.body,
        important: body.important === 'on',
        pinned: body.pinned === 'on',
        publish_at: 'now',
        attachments: fileAttachments(body.file_ids),
      };
      const checked = checkForm(createNoticeInput, input);
      if (!checked.ok) return { ...page(scope, deps, 'class', await classPageWithNotice(scope, params.id, body, checked.errors)), status: 422 };
      try {
        const created = await createClassNotice(scope, params.id, checked.data);
        return { redirect: `/notices/${created.id}` };
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return { ...page(scope, deps, 'class', await classPageWithNotice(scope, params.id, body, errors)), status: 422 };
        throw error;
      }
    },
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id/homework/new',
    summary: 'Set homework: the form',
    access: { action: 'create', subject: 'Homework' },
    params: idParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'homework-form', await homeworkForm(scope, params.id, { points: '10', publish: 'now' })),
  }),
  pageRoute({
    method: 'post',
    path: '/classes/:id/homework',
    summary: 'Set homework (publish now, schedule, or keep as a draft)',
    access: { action: 'create', subject: 'Homework' },
    params: idParams,
    form: true,
    body: homeworkFormBody,
    handler: async ({ scope, deps, params, body }) => {
      if (body.action === 'preview')
        return page(scope, deps, 'homework-form', await homeworkForm(scope, params.id, body, undefined, renderMarkdown(body.instructions)));
      const checked = checkForm(createHomeworkInput, homeworkInputFromForm(body));
      if (!checked.ok) return { ...page(scope, deps, 'homework-form', await homeworkForm(scope, params.id, body, checked.errors)), status: 422 };
      try {
        const created = await createHomework(scope, params.id, checked.data);
        return { redirect: `/homework/${created.homework.id}` };
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return { ...page(scope, deps, 'homework-form', await homeworkForm(scope, params.id, body, errors)), status: 422 };
        throw error;
      }
    },
  }),
];
