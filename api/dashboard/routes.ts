import { onReadPool } from '../db/read.ts';
import { tenantRoute } from '../http/route.ts';
import { dashboardView } from './schema.ts';
import { dashboard } from './service.ts';

export const dashboardRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/dashboard',
    summary: 'What needs doing: due soon, open quizzes, grades, notices; for teachers, what to grade',
    description:
      'Students: homework due within 7 days (or overdue inside a late window) and not turned in, quizzes open now, grades of the last 14 days, notices. Guardians: the same for each linked student. Teachers (their classes) and admins (the school): work waiting to be graded, what is due in the next 7 days, the latest submissions. Archived classes are left out.',
    tags: ['dashboard'],
    access: 'signed-in',
    responses: { 200: { description: 'The dashboard for the signed-in person', schema: dashboardView } },
    // Read on the read pool when there is one (api/db/read.ts).
    handler: async ({ scope, deps }) => ({ body: await onReadPool(deps.dbs, scope, dashboard) }),
  }),
];
