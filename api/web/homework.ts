// Homework pages: the assignment (students hand in here and see their versions and, once
// returned, the grade), the teacher's list of who handed in, and the grading view (the work
// beside score and feedback, previous/next student, return).
import { z } from 'zod';
import { findClass, writableClass } from '../classes/service.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { AppError } from '../errors.ts';
import type { StoredFile } from '../files/model.ts';
import { assertRoomLeft, fileServices, limitsFor, recordUpload } from '../files/service.ts';
import { receiveUpload } from '../files/upload.ts';
import { listGuardians } from '../guardians/service.ts';
import { gradeMany, gradeOne } from '../homework/grading.ts';
import { presentHomework } from '../homework/present.ts';
import { gradeInput, type HomeworkView, MAX_BULK_GRADES, submitInput, updateHomeworkInput } from '../homework/schema.ts';
import { findHomework, readHomework, updateHomework } from '../homework/service.ts';
import { listSubmissions, readOwnSubmission, readSubmission, rosterCounts, rosterPlace, submitWork } from '../homework/submissions.ts';
import type { Scope } from '../scope.ts';
import { fileAttachments, fileIdList, fileIdsField, filesErrors, pickedFiles } from './attach.ts';
import { fieldErrorsOf, type HomeworkFormBody, homeworkForm, homeworkFormBody, homeworkInputFromForm } from './classes.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const gradingParams = z.object({ id: z.uuid(), studentId: z.uuid() });
const handInForm = z.object({
  _csrf: z.string().max(200).optional(),
  body: z.string().max(100_000),
  file_ids: fileIdsField,
});
const gradeForm = z.object({
  _csrf: z.string().max(200).optional(),
  score: z.string().max(20),
  feedback: z.string().max(10_000),
  action: z.enum(['save', 'return']),
});

/** Everyone who can see the class's work list gets it in one page: at most this many rows. */
const ROSTER_PAGE = 100;

async function homeworkPage(scope: Scope, id: string, extra: Record<string, unknown> = {}, cursor?: string) {
  const { homework, assigneeIds } = await readHomework(scope, id);
  const view = presentHomework(scope, homework, assigneeIds);
  const klass = await findClass(scope, homework.class_id);
  const role = scope.actor.type === 'user' ? scope.actor.user.role : undefined;
  const grades = scope.ability.can('grade', 'Submission');
  const mine = role === 'student' ? await readOwnSubmission(scope, id) : undefined;
  // Past ROSTER_PAGE students the list goes on with the API's keyset cursor (`?cursor=`); the
  // counts are the whole roster's.
  const listed = role !== 'student' ? await listSubmissions(scope, id, { limit: ROSTER_PAGE, ...(cursor ? { cursor } : {}) }) : undefined;
  const submissions = listed?.data ?? [];
  const counts = listed ? await rosterCounts(scope, id) : { total: 0, turnedIn: 0, toReturn: 0 };
  return {
    title: view.title,
    homework: view,
    klass: { id: klass.id, name: klass.name },
    // Those who may change homework (its class's teachers, admins: anyone else who can read it
    // cannot); the edit page itself checks this homework (findHomework 'update').
    canEdit: scope.ability.can('update', 'Homework') && !klass.archived_at,
    mine,
    submissions,
    grades,
    turnedIn: counts.turnedIn,
    rosterTotal: counts.total,
    toReturn: counts.toReturn,
    nextPage: listed?.next_cursor ? `/homework/${id}?cursor=${encodeURIComponent(listed.next_cursor)}#subs-h` : undefined,
    firstPage: cursor ? `/homework/${id}#subs-h` : undefined,
    // The hand-in form's files: what the student last handed in (or, after a mistake, what they posted).
    handInFiles: mine?.attachments.filter((a) => a.file_id),
    ...extra,
  };
}

export const homeworkPages = [
  pageRoute({
    method: 'get',
    path: '/homework/:id',
    summary: 'A homework: instructions, and hand-in (students), who handed in (teachers), progress (guardians)',
    access: { action: 'read', subject: 'Homework' },
    allowReadOnly: true,
    params: idParams,
    // keep: files attached with the plain (no-JavaScript) upload form, ticked in the hand-in form.
    query: z.object({ cursor: z.string().max(500).optional(), keep: fileIdsField }),
    handler: async ({ scope, deps, params, query }) => {
      const kept = query.keep === undefined ? {} : { handInFiles: await pickedFiles(scope, query.keep) };
      return page(scope, deps, 'homework', await homeworkPage(scope, params.id, { scripts: ['upload.js'], ...kept }, query.cursor));
    },
  }),
  pageRoute({
    method: 'get',
    path: '/homework/:id/edit',
    summary: 'Edit homework: the set-homework form, filled in (teachers of its class, admins)',
    access: { action: 'update', subject: 'Homework' },
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const { view, edit } = await editable(scope, params.id);
      return page(scope, deps, 'homework-form', await homeworkForm(scope, view.class_id, formOf(view), undefined, undefined, edit));
    },
  }),
  pageRoute({
    method: 'post',
    path: '/homework/:id/edit',
    summary: 'Change homework (as PATCH /api/v1/homework/:id): text, files, dates, who does it, publish, schedule or back to a draft',
    access: { action: 'update', subject: 'Homework' },
    params: idParams,
    form: true,
    body: homeworkFormBody,
    handler: async ({ scope, deps, params, body }) => {
      const { view, edit } = await editable(scope, params.id);
      const again = async (errors?: FieldErrors, preview?: string) =>
        page(scope, deps, 'homework-form', await homeworkForm(scope, view.class_id, body, errors, preview, edit));
      if (body.action === 'preview') return again(undefined, renderMarkdown(body.instructions));
      const checked = checkForm(updateHomeworkInput, updateFromForm(view, body));
      if (!checked.ok) return { ...(await again(checked.errors)), status: 422 };
      try {
        await updateHomework(scope, params.id, checked.data);
      } catch (error) {
        const errors = fieldErrorsOf(error);
        if (errors) return { ...(await again(errors)), status: 422 };
        throw error;
      }
      return { redirect: `/homework/${params.id}` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/homework/:id/hand-in',
    summary: 'Hand work in (again)',
    // As the API's hand-in: admitted like a read, so homework this person cannot see is a 404
    // before the service refuses anyone but its students (403).
    access: { action: 'submit', subject: 'Submission' },
    params: idParams,
    form: true,
    body: handInForm,
    handler: async ({ scope, deps, params, body }) => {
      const again = async (errors: Record<string, string>) =>
        homeworkPage(scope, params.id, {
          errors: filesErrors(errors),
          draft: body.body,
          handInFiles: await pickedFiles(scope, body.file_ids),
          scripts: ['upload.js'],
        });
      const checked = checkForm(submitInput, { body: body.body, attachments: fileAttachments(body.file_ids) });
      if (!checked.ok) return { ...page(scope, deps, 'homework', await again(checked.errors)), status: 422 };
      try {
        await submitWork(scope, params.id, checked.data);
      } catch (error) {
        // Closed, or the class is archived: the page says why, with the text kept.
        if (error instanceof AppError && error.status === 409) return { ...page(scope, deps, 'homework', await again({ body: error.message })), status: 409 };
        if (error instanceof AppError && error.code === 'validation-failed') {
          return { ...page(scope, deps, 'homework', await again(Object.fromEntries((error.errors ?? []).map((e) => [e.field, e.message])))), status: 422 };
        }
        throw error;
      }
      return { redirect: `/homework/${params.id}?handed_in=1` };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/homework/:id/files',
    summary: 'Attach a file to the hand-in without JavaScript (a plain multipart form; the picker does it in place)',
    description:
      'multipart/form-data with one part named "file"; the CSRF token in the address (`?_csrf=`). The same upload service as POST /api/v1/files; then back to the homework page with the file ticked in the hand-in form (`keep`: the files already there).',
    access: { action: 'submit', subject: 'Submission' },
    upload: true,
    params: idParams,
    query: z.object({ keep: fileIdsField }),
    handler: async ({ scope, deps, params, query, reopen, ctx }) => {
      // Who may hand in here, checked before a byte is read: as the hand-in route, then the file rules.
      const { homework } = await readHomework(scope, params.id);
      if (scope.ability.cannot('submit', 'Submission') || scope.ability.cannot('create', 'File')) {
        throw new AppError('forbidden', 'Only the students this homework is set for hand work in.');
      }
      await writableClass(scope, homework.class_id, 'read');
      const config = deps.config.files;
      const limits = limitsFor(scope.tenant, config, deps.plans);
      await assertRoomLeft(scope, limits);
      const { storage, scanner } = fileServices(config);
      const kept = fileIdList(query.keep);
      const refused = (error: AppError) =>
        reopen(async (s) => ({
          ...page(
            s,
            deps,
            'homework',
            await homeworkPage(s, params.id, { errors: { files: error.message }, handInFiles: await pickedFiles(s, kept), scripts: ['upload.js'] }),
          ),
          status: error.status,
        }));
      return {
        afterCommit: async () => {
          let file: StoredFile;
          try {
            const received = await receiveUpload(ctx.req, {
              tenantId: scope.tenant.id,
              maxBytes: limits.maxUploadBytes,
              purpose: 'documents',
              storage,
              scanner,
              allowUnscanned: config.allowUnscanned,
            });
            try {
              file = await reopen((s) => recordUpload(s, received, limits));
            } catch (error) {
              await storage.remove(received.key).catch(() => undefined);
              throw error;
            }
          } catch (error) {
            if (error instanceof AppError && error.status < 500) return refused(error);
            throw error;
          }
          if (file.status === 'rejected') return refused(new AppError('file-infected', 'The virus scanner found something in this file; it was not kept.'));
          const keep = [...kept, file.id].map((id) => `keep=${encodeURIComponent(id)}`).join('&');
          return { redirect: `/homework/${params.id}?${keep}#work-h` };
        },
      };
    },
  }),
  pageRoute({
    method: 'post',
    path: '/homework/:id/return-all',
    summary: 'Return every graded but not yet returned hand-in at once',
    access: { action: 'grade', subject: 'Submission' },
    params: idParams,
    form: true,
    body: z.object({ _csrf: z.string().max(200).optional() }),
    handler: async ({ scope, params }) => {
      // A page of graded work at a time (the bulk grade takes at most MAX_BULK_GRADES), until none
      // is left: returned work drops out of the 'graded' list, so each round starts afresh.
      let returned = 0;
      for (;;) {
        const graded = (await listSubmissions(scope, params.id, { limit: MAX_BULK_GRADES, status: 'graded' })).data;
        if (graded.length === 0) break;
        await gradeMany(scope, params.id, { grades: graded.map((s) => ({ student_id: s.student.id, return: true })) });
        returned += graded.length;
        if (graded.length < MAX_BULK_GRADES) break;
      }
      return { redirect: `/homework/${params.id}?returned=${returned}` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/homework/:id/submissions/:studentId',
    summary: 'Grading: one student’s work beside the score and feedback, with previous and next student',
    access: { action: 'grade', subject: 'Submission' },
    allowReadOnly: true,
    params: gradingParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'grading', await gradingPage(scope, params.id, params.studentId)),
  }),
  pageRoute({
    method: 'post',
    path: '/homework/:id/submissions/:studentId/grade',
    summary: 'Save a grade (and return it to the student), then go to the next student',
    access: { action: 'grade', subject: 'Submission' },
    params: gradingParams,
    form: true,
    body: gradeForm,
    handler: async ({ scope, deps, params, body }) => {
      const input = {
        score: body.score.trim() === '' ? null : Number(body.score),
        feedback: body.feedback.trim() === '' ? null : body.feedback,
        return: body.action === 'return',
      };
      const checked = checkForm(gradeInput, input);
      if (!checked.ok) {
        return {
          ...page(scope, deps, 'grading', await gradingPage(scope, params.id, params.studentId, { errors: checked.errors, entered: body })),
          status: 422,
        };
      }
      try {
        await gradeOne(scope, params.id, params.studentId, checked.data);
      } catch (error) {
        if (error instanceof AppError && error.code === 'validation-failed') {
          const errors = Object.fromEntries((error.errors ?? []).map((e) => [e.field, e.message]));
          return { ...page(scope, deps, 'grading', await gradingPage(scope, params.id, params.studentId, { errors, entered: body })), status: 422 };
        }
        throw error;
      }
      const { next } = await rosterPlace(scope, params.id, params.studentId);
      return { redirect: next ? `/homework/${params.id}/submissions/${next}` : `/homework/${params.id}` };
    },
  }),
];

/** Homework this person may change, in a class that is not archived (409 page otherwise). */
async function editable(scope: Scope, id: string) {
  await findHomework(scope, id, 'update');
  const { homework, assigneeIds } = await readHomework(scope, id);
  await writableClass(scope, homework.class_id, 'update');
  const view = presentHomework(scope, homework, assigneeIds);
  return { view, edit: { id: view.id, title: view.title, published: view.status === 'published' } };
}

/** The homework as its form shows it: times on the school's clock, as datetime-local wants them. */
function formOf(view: HomeworkView): HomeworkFormBody {
  const local = (at: string | null) => (at ? at.slice(0, 16) : '');
  return {
    title: view.title,
    instructions: view.instructions,
    points: view.points === null ? '' : String(view.points),
    due_at: local(view.due_at_local),
    late_until: local(view.late_until_local),
    publish: view.status === 'published' ? 'now' : view.status === 'scheduled' ? 'later' : 'draft',
    publish_at: local(view.publish_at_local),
    assign: view.assign_to_all ? 'all' : 'some',
    assignee_ids: view.assignee_ids ?? [],
    file_ids: view.attachments.flatMap((a) => (a.file_id ? [a.file_id] : [])),
  };
}

/** The edit form as the API's PATCH input. Link attachments (added through the API; the form has
 * no field for them) are kept; "Now" on homework already published keeps its publishing time. */
function updateFromForm(view: HomeworkView, body: z.infer<typeof homeworkFormBody>) {
  const { publish_at, attachments, ...input } = homeworkInputFromForm(body);
  const links = view.attachments.filter((a) => !a.file_id).map(({ name, url, content_type, size_bytes }) => ({ name, url, content_type, size_bytes }));
  const keepPublished = body.publish === 'now' && view.status === 'published';
  return { ...input, ...(keepPublished ? {} : { publish_at }), attachments: [...links, ...attachments] };
}

async function gradingPage(scope: Scope, homeworkId: string, studentId: string, extra: Record<string, unknown> = {}) {
  const { homework, assigneeIds } = await readHomework(scope, homeworkId);
  const work = await readSubmission(scope, homeworkId, studentId);
  const { previous, next, position, total } = await rosterPlace(scope, homeworkId, studentId);
  // Who to call about this student's work (teachers see their students' guardians).
  const guardians = await listGuardians(scope, studentId).catch((error) => {
    if (error instanceof AppError && (error.status === 403 || error.status === 404)) return [];
    throw error;
  });
  return {
    guardians,
    title: `${work.student.first_name} ${work.student.last_name} · ${homework.title}`,
    homework: presentHomework(scope, homework, assigneeIds),
    work,
    previous,
    next,
    position,
    total,
    ...extra,
  };
}
