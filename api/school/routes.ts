import { tenantRoute } from '../http/route.ts';
import { schoolView, updateSchoolInput } from './schema.ts';
import { presentSchool, updateSchool } from './service.ts';

export const schoolRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/school',
    summary: 'This school: name, time zone, colour (and, for admins, its settings)',
    tags: ['school'],
    access: { action: 'read', subject: 'School' },
    responses: { 200: { description: 'The school', schema: schoolView } },
    handler: async ({ scope }) => ({ body: presentSchool(scope) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/school',
    summary: 'Change this school’s settings',
    tags: ['school'],
    access: { action: 'update', subject: 'School' },
    body: updateSchoolInput,
    responses: { 200: { description: 'The school', schema: schoolView } },
    handler: async ({ scope, body }) => {
      await updateSchool(scope, body);
      return { body: presentSchool(scope) };
    },
  }),
];
