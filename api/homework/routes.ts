import { z } from 'zod';
import { pageSchema } from '../content/pagination.ts';
import type { AnyRoute } from '../http/route.ts';
import { tenantRoute } from '../http/route.ts';
import { gradeMany, gradeOne } from './grading.ts';
import { presentHomework } from './present.ts';
import {
  bulkGradeInput,
  bulkGradeView,
  createHomeworkInput,
  gradeInput,
  homeworkView,
  listHomeworkQuery,
  listSubmissionsQuery,
  submissionDetailView,
  submissionView,
  submitInput,
  updateHomeworkInput,
} from './schema.ts';
import { createHomework, deleteHomework, listHomework, readHomework, updateHomework } from './service.ts';
import { listSubmissions, readOwnSubmission, readSubmission, submitWork } from './submissions.ts';

const idParams = z.object({ id: z.uuid() });
const studentParams = z.object({ id: z.uuid(), userId: z.uuid() });
const tags = ['homework'];

export const homeworkRoutes: AnyRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/homework',
    summary: 'A class’s homework, by due date',
    description:
      'Teachers and admins see drafts and scheduled homework too; students see published homework assigned to them; guardians what their students see.',
    tags,
    access: { action: 'read', subject: 'Homework' },
    params: idParams,
    query: listHomeworkQuery,
    responses: { 200: { description: 'A page of homework', schema: pageSchema(homeworkView) } },
    handler: async ({ scope, params, query }) => {
      const page = await listHomework(scope, params.id, query);
      return { body: { data: page.data.map((h) => presentHomework(scope, h.homework, h.assigneeIds)), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/homework',
    idempotent: true,
    summary: 'Set homework for a class',
    description: 'A draft unless publish_at is given ("now" or a time). Points default to 100; null makes it ungraded.',
    tags,
    access: { action: 'create', subject: 'Homework' },
    params: idParams,
    body: createHomeworkInput,
    responses: { 201: { description: 'Created', schema: homeworkView } },
    handler: async ({ scope, params, body }) => {
      const created = await createHomework(scope, params.id, body);
      return { status: 201, body: presentHomework(scope, created.homework, created.assigneeIds) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/homework/:id',
    summary: 'One homework',
    tags,
    access: { action: 'read', subject: 'Homework' },
    params: idParams,
    responses: { 200: { description: 'The homework', schema: homeworkView } },
    handler: async ({ scope, params }) => {
      const found = await readHomework(scope, params.id);
      return { body: presentHomework(scope, found.homework, found.assigneeIds) };
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/homework/:id',
    summary: 'Change, publish, schedule or unpublish homework',
    description: 'publish_at: null takes it back to a draft that students no longer see.',
    tags,
    access: { action: 'update', subject: 'Homework' },
    params: idParams,
    body: updateHomeworkInput,
    responses: { 200: { description: 'The changed homework', schema: homeworkView } },
    handler: async ({ scope, params, body }) => {
      const updated = await updateHomework(scope, params.id, body);
      return { body: presentHomework(scope, updated.homework, updated.assigneeIds) };
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/homework/:id',
    summary: 'Delete homework nobody has handed in or been graded on',
    description: 'Once there is work, 409: unpublish it instead.',
    tags,
    access: { action: 'delete', subject: 'Homework' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteHomework(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/homework/:id/submissions',
    summary: 'Every assigned student’s work and status, by name',
    description:
      'One row per assigned student, including those with nothing handed in (assigned / missing). Teachers and admins see every row and draft grades; a student sees their own row; a guardian their linked students’ rows.',
    tags,
    access: { action: 'read', subject: 'Submission' },
    params: idParams,
    query: listSubmissionsQuery,
    responses: { 200: { description: 'A page of students’ work', schema: pageSchema(submissionView) } },
    handler: async ({ scope, params, query }) => ({ body: await listSubmissions(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/homework/:id/submission',
    summary: 'Your own work for this homework, with earlier versions',
    tags,
    access: { action: 'read', subject: 'Submission' },
    params: idParams,
    responses: { 200: { description: 'Your work', schema: submissionDetailView } },
    handler: async ({ scope, params }) => ({ body: await readOwnSubmission(scope, params.id) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/homework/:id/submission',
    idempotent: true,
    summary: 'Turn in your work, or turn it in again',
    description:
      'Accepted until due_at, then (flagged late) until late_until if set; 409 afterwards. Turning in again keeps the earlier version, with any grade it had, in the history.',
    tags,
    // Admitted like a read, so a homework this person cannot see is a 404 before the service
    // refuses staff and guardians (403): only students submit.
    access: { action: 'submit', subject: 'Submission' },
    params: idParams,
    body: submitInput,
    responses: { 200: { description: 'Your work as it now stands', schema: submissionDetailView } },
    handler: async ({ scope, params, body }) => ({ body: await submitWork(scope, params.id, body) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/homework/:id/submissions/:userId',
    summary: 'One student’s work with its earlier versions',
    description: 'Teachers of the class and admins; the student themself; their guardians (read-only).',
    tags,
    access: { action: 'read', subject: 'Submission' },
    params: studentParams,
    responses: { 200: { description: 'The student’s work', schema: submissionDetailView } },
    handler: async ({ scope, params }) => ({ body: await readSubmission(scope, params.id, params.userId) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/homework/:id/submissions/:userId/grade',
    summary: 'Grade one student’s work, and optionally return it',
    description: 'The score and feedback stay a draft the student cannot see until returned (return: true).',
    tags,
    access: { action: 'grade', subject: 'Submission' },
    params: studentParams,
    body: gradeInput,
    responses: { 200: { description: 'The graded work', schema: submissionView } },
    handler: async ({ scope, params, body }) => ({ body: await gradeOne(scope, params.id, params.userId, body) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/homework/:id/grades',
    summary: 'Grade many students at once (all or nothing)',
    description: 'Every line is checked first; if any is not valid nothing is graded and the errors name each line (grades.<n>.<field>).',
    tags,
    access: { action: 'grade', subject: 'Submission' },
    params: idParams,
    body: bulkGradeInput,
    responses: { 200: { description: 'The graded students’ work', schema: bulkGradeView } },
    handler: async ({ scope, params, body }) => ({ body: { data: await gradeMany(scope, params.id, body) } }),
  }),
];
