import { z } from 'zod';
import { schoolUrl } from '../config.ts';
import { tenantRoute } from '../http/route.ts';
import { guardianView, linkedStudentView, linkGuardianInput } from './schema.ts';
import { linkGuardian, listGuardians, myStudents, unlinkGuardian } from './service.ts';

const studentParams = z.object({ id: z.uuid() });
const linkParams = z.object({ id: z.uuid(), userId: z.uuid() });

export const guardianRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/users/:id/guardians',
    summary: 'A student’s guardians',
    tags: ['guardians'],
    access: { action: 'read', subject: 'GuardianLink' },
    params: studentParams,
    responses: { 200: { description: 'The guardians linked to the student', schema: z.object({ data: z.array(guardianView) }) } },
    handler: async ({ scope, params }) => ({ body: { data: await listGuardians(scope, params.id) } }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/users/:id/guardians',
    summary: 'Link a guardian to a student (admins)',
    description:
      'Only admins link guardians: a link shows the student’s whole record to the guardian. Send `guardian_id` for a guardian who already has an account, or an email and name: a guardian new to the school is invited by email (the link works once and expires after 7 days). Guardians take no seat.',
    tags: ['guardians'],
    access: { action: 'create', subject: 'GuardianLink' },
    params: studentParams,
    body: linkGuardianInput,
    responses: {
      200: { description: 'Already linked', schema: z.object({ data: z.array(guardianView) }) },
      201: { description: 'Linked', schema: z.object({ data: z.array(guardianView) }) },
    },
    handler: async ({ scope, params, body, deps }) => {
      const result = await linkGuardian(scope, params.id, body, { mailer: deps.mailer, siteUrl: schoolUrl(deps.config, scope.tenant.slug) });
      return { status: result.created ? 201 : 200, body: { data: await listGuardians(scope, params.id) } };
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/users/:id/guardians/:userId',
    summary: 'Unlink a guardian from a student (admins)',
    description: 'The guardian’s account stays; they stop seeing this student at once.',
    tags: ['guardians'],
    access: { action: 'delete', subject: 'GuardianLink' },
    params: linkParams,
    responses: { 204: { description: 'Unlinked' } },
    handler: async ({ scope, params }) => {
      await unlinkGuardian(scope, params.id, params.userId);
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/me/students',
    summary: 'The students a guardian is linked to, with their classes',
    description: 'Empty for everyone but guardians.',
    tags: ['guardians'],
    access: 'signed-in',
    responses: { 200: { description: 'Linked students', schema: z.object({ data: z.array(linkedStudentView) }) } },
    handler: async ({ scope }) => ({ body: { data: await myStudents(scope) } }),
  }),
];
