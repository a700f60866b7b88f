import { z } from 'zod';
import { onReadPool } from '../db/read.ts';
import { tenantRoute } from '../http/route.ts';
import { finaliseExpiredAttempts } from '../quizzes/attempts.ts';
import type { Scope } from '../scope.ts';
import { gradebookCsv } from './csv.ts';
import { gradebookQuery, gradebookView, weightsInput } from './schema.ts';
import { fullGradebook, gradebookClass, readGradebook, setWeights } from './service.ts';

const classParams = z.object({ id: z.uuid() });

export const gradebookRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/gradebook',
    summary: 'The class gradebook: students × graded homework and quizzes, with averages',
    description:
      'Teachers and admins get every student; a student gets their own row; a guardian their linked students’ rows. Scores appear as the viewer may see them (homework once returned, quizzes per their results policy). Averages count scored work only.',
    tags: ['gradebook'],
    access: { action: 'read', subject: 'Gradebook' },
    // Closes quiz attempts whose time ran out before reading them.
    writes: true,
    params: classParams,
    query: gradebookQuery,
    responses: { 200: { description: 'The gradebook, rows paginated by student name', schema: gradebookView } },
    handler: async ({ scope, params, query }) => ({ body: await readGradebook(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/gradebook/csv',
    summary: 'Download the gradebook as CSV',
    tags: ['gradebook'],
    access: { action: 'export', subject: 'Gradebook' },
    writes: true,
    params: classParams,
    responses: { 200: { description: 'One row per student', contentType: 'text/csv' } },
    handler: async ({ scope, params, deps }) => {
      // Expired quiz attempts are closed here, on the primary; the heavy read then goes to the read
      // pool (api/db/read.ts), unless that just changed something the standby cannot see yet.
      await gradebookClass(scope, params.id, 'export');
      const { finalised } = await finaliseExpiredAttempts(scope, { classId: params.id });
      const read = async (s: Scope) => {
        const book = await fullGradebook(s, params.id, { finalise: false });
        const ids = book.rows.map((r) => r.student.id);
        const emails = new Map<string, string>(
          ids.length ? (await s.db('users').whereIn('id', ids).select('id', 'email')).map((u) => [u.id as string, u.email as string]) : [],
        );
        return { book, emails };
      };
      const { book, emails } = finalised > 0 ? await read(scope) : await onReadPool(deps.dbs, scope, read);
      return {
        body: gradebookCsv(book, emails),
        headers: {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="gradebook-${params.id.slice(0, 8)}.csv"`,
          'Cache-Control': 'no-store',
        },
      };
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/gradebook/weights',
    summary: 'Set or clear category weights',
    description: 'Weights are percentages per category (homework, quizzes) adding up to 100; null counts every point the same. Audited.',
    tags: ['gradebook'],
    access: { action: 'update', subject: 'Gradebook' },
    params: classParams,
    body: weightsInput,
    responses: { 204: { description: 'Saved' } },
    handler: async ({ scope, params, body }) => {
      await setWeights(scope, params.id, body.weights);
      return {};
    },
  }),
];
