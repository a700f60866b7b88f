// The gradebook page: students × graded homework and quizzes with averages, as the viewer may
// see them (teachers: every student, with the CSV download; a student: their own row; a guardian:
// their children's rows). Rows page by student name.
import { z } from 'zod';
import { findClass } from '../classes/service.ts';
import { readGradebook } from '../gradebook/service.ts';
import { page, pageRoute } from './page.ts';

export const gradebookPages = [
  pageRoute({
    method: 'get',
    path: '/classes/:id/grades',
    summary: 'The class gradebook (a student sees their own row)',
    access: { action: 'read', subject: 'Gradebook' },
    allowReadOnly: true,
    // Like the API's gradebook: quiz attempts whose time ran out are closed before reading.
    writes: true,
    params: z.object({ id: z.uuid() }),
    query: z.object({ cursor: z.string().max(500).optional() }),
    handler: async ({ scope, deps, params, query }) => {
      const klass = await findClass(scope, params.id);
      const book = await readGradebook(scope, params.id, { limit: 50, ...(query.cursor ? { cursor: query.cursor } : {}) });
      const rows = book.rows.map((row) => ({
        ...row,
        cells: row.cells.map((cell, i) => ({ ...cell, points: book.items[i]?.points })),
      }));
      return page(scope, deps, 'gradebook', {
        title: `Grades · ${klass.name}`,
        klass: { id: klass.id, name: klass.name },
        book: { ...book, rows },
        canExport: scope.ability.can('export', 'Gradebook'),
        nextPage: book.next_cursor ? `/classes/${klass.id}/grades?cursor=${encodeURIComponent(book.next_cursor)}` : undefined,
      });
    },
  }),
];
