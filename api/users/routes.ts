import { z } from 'zod';
import { tokenView } from '../auth/schema.ts';
import { schoolUrl } from '../config.ts';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { LIMITS } from '../http/rate-limit.ts';
import { tenantRoute } from '../http/route.ts';
import { acceptInvitation, importRoster, invitePerson } from './invitations.ts';
import { acceptInviteInput, createUserInput, importInput, importReport, inviteInput, roleSchema, updateUserInput, userView } from './schema.ts';
import { createUser, getUser, listUsers, presentUser, signOutEverywhere, unlockAccount, updateUser } from './service.ts';

const idParams = z.object({ id: z.uuid() });

export const userRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/users',
    summary: 'People at this school you may see',
    description: 'Admins see everyone; teachers see staff and the students they teach; students see themselves.',
    tags: ['users'],
    access: { action: 'read', subject: 'User' },
    query: pageQuery.extend({
      q: z.string().trim().max(200).optional().describe('Words that each match the email, first or last name.'),
      role: roleSchema.optional(),
      status: z.enum(['invited', 'active', 'deactivated']).optional(),
    }),
    responses: { 200: { description: 'A page of people, by email', schema: pageSchema(userView) } },
    handler: async ({ scope, query }) => {
      const page = await listUsers(scope, query);
      return { body: { data: page.data.map(presentUser), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/users',
    summary: 'Add a person to this school',
    tags: ['users'],
    access: { action: 'create', subject: 'User' },
    body: createUserInput,
    responses: { 201: { description: 'Created', schema: userView } },
    handler: async ({ scope, body }) => ({ status: 201, body: presentUser(await createUser(scope, body)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/users/:id',
    summary: 'One person',
    tags: ['users'],
    access: { action: 'read', subject: 'User' },
    params: idParams,
    responses: { 200: { description: 'The person', schema: userView } },
    handler: async ({ scope, params }) => ({ body: presentUser(await getUser(scope, params.id)) }),
  }),

  tenantRoute({
    method: 'patch',
    path: '/api/v1/users/:id',
    summary: 'Change a person’s name, role or status',
    description: 'Role changes and deactivation take effect on the person’s next request; deactivation also ends every session.',
    tags: ['users'],
    access: { action: 'update', subject: 'User' },
    params: idParams,
    body: updateUserInput,
    responses: { 200: { description: 'The changed person', schema: userView } },
    handler: async ({ scope, params, body }) => ({ body: presentUser(await updateUser(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/users/:id/sign-out',
    summary: 'Sign a person out everywhere',
    tags: ['users'],
    access: { action: 'update', subject: 'User' },
    params: idParams,
    responses: { 204: { description: 'Every session ended' } },
    handler: async ({ scope, params }) => {
      await signOutEverywhere(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/users/:id/unlock',
    summary: 'Clear a paused sign-in after repeated failures',
    tags: ['users'],
    access: { action: 'update', subject: 'User' },
    params: idParams,
    responses: { 204: { description: 'The person can sign in again' } },
    handler: async ({ scope, params }) => {
      await unlockAccount(scope, params.id);
      return {};
    },
  }),

  tenantRoute({
    method: 'post',
    path: '/api/v1/users/invitations',
    summary: 'Invite a person by email',
    description: 'Admins invite anyone; teachers invite students into classes they teach. The link works once and expires after 7 days.',
    tags: ['users'],
    access: { action: 'invite', subject: 'User' },
    body: inviteInput,
    responses: { 201: { description: 'Invited; the email is on its way', schema: z.object({ user: userView, expires_at: z.string() }) } },
    handler: async ({ scope, body, deps }) => {
      const { user, expires_at } = await invitePerson(scope, body, { mailer: deps.mailer, siteUrl: schoolUrl(deps.config, scope.tenant.slug) });
      return { status: 201, body: { user: presentUser(user), expires_at: expires_at.toISOString() } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/users/import',
    summary: 'Import a roster from CSV (all or nothing)',
    description: `Up to 5,000 rows. Every row is checked first; if any row has a problem nothing is imported and the answer lists each problem by line and column (422, row_errors). With dry_run the report comes back (200) and nothing changes.`,
    tags: ['users'],
    access: { action: 'create', subject: 'User' },
    body: importInput,
    responses: {
      200: { description: 'Dry run report', schema: importReport },
      201: { description: 'Imported; invitations are on their way', schema: importReport },
    },
    handler: async ({ scope, body, deps }) => {
      const report = await importRoster(scope, body.csv, { dryRun: body.dry_run }, { mailer: deps.mailer, siteUrl: schoolUrl(deps.config, scope.tenant.slug) });
      return { status: body.dry_run ? 200 : 201, body: report };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/invitations/accept',
    summary: 'Accept an invitation: choose a password and sign in',
    tags: ['auth'],
    allowReadOnly: true,
    access: 'public',
    body: acceptInviteInput,
    limits: [LIMITS.inviteAccept],
    responses: { 200: { description: 'Signed in', schema: tokenView } },
    handler: async ({ scope, body, deps, ctx }) => ({
      body: await acceptInvitation(scope, body.token, body.password, deps.sessions, { userAgent: ctx.get('user-agent'), ip: ctx.ip }),
      headers: { 'Cache-Control': 'no-store' },
    }),
  }),
];
