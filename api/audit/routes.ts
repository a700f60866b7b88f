import { z } from 'zod';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { tenantRoute } from '../http/route.ts';
import { auditEventView, listAuditEvents } from './log.ts';

const auditQuery = pageQuery.extend({
  action: z.string().trim().max(100).optional().describe('Exact action (e.g. submission.regraded), or a prefix ending in a dot (e.g. "user.").'),
  target_type: z.string().trim().max(50).optional(),
  target_id: z.string().trim().max(100).optional(),
  actor_id: z.uuid().optional().describe('Only what this person did.'),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

export const auditRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/audit-events',
    summary: 'The school’s audit log, newest first (admins)',
    description: 'Sign-ins, role changes, grades and regrades, settings, SSO and billing changes: who did what, when, from where.',
    tags: ['audit'],
    access: { action: 'read', subject: 'AuditEvent' },
    query: auditQuery,
    responses: { 200: { description: 'A page of events', schema: pageSchema(auditEventView) } },
    handler: async ({ scope, query }) => ({ body: await listAuditEvents(scope, query) }),
  }),
];
