import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { tenantRoute } from '../http/route.ts';
import { createUserInput, updateUserInput, userView } from './schema.ts';
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
    query: pageQuery,
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
];
