import { z } from 'zod';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { tenantRoute } from '../http/route.ts';
import { addMemberInput, classView, createClassInput, joinClassInput, memberView, personView, updateClassInput } from './schema.ts';
import {
  addMember,
  createClass,
  findClass,
  joinClass,
  listClasses,
  listMembers,
  listPeople,
  presentClass,
  removeMember,
  rotateJoinCode,
  updateClass,
} from './service.ts';

const classParams = z.object({ id: z.uuid() });
const memberParams = z.object({ id: z.uuid(), userId: z.uuid() });
const listQuery = pageQuery.extend({
  archived: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Only archived (true) or only active (false) classes; both when left out.'),
});

export const classRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes',
    summary: 'Classes you teach, take, or (admins) all of them',
    tags: ['classes'],
    access: { action: 'read', subject: 'Class' },
    query: listQuery,
    responses: { 200: { description: 'A page of classes, by name', schema: pageSchema(classView) } },
    handler: async ({ scope, query }) => {
      const page = await listClasses(scope, query);
      return { body: { data: page.data.map((c) => presentClass(scope, c)), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes',
    idempotent: true,
    summary: 'Create a class',
    description: 'A teacher who creates a class teaches it.',
    tags: ['classes'],
    access: { action: 'create', subject: 'Class' },
    body: createClassInput,
    responses: { 201: { description: 'Created', schema: classView } },
    handler: async ({ scope, body }) => ({ status: 201, body: presentClass(scope, await createClass(scope, body)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/join',
    summary: 'Join a class with its code (students)',
    tags: ['classes'],
    access: { action: 'join', subject: 'Class' },
    body: joinClassInput,
    responses: {
      200: { description: 'Already on the roster', schema: classView },
      201: { description: 'Joined', schema: classView },
    },
    handler: async ({ scope, body }) => {
      const result = await joinClass(scope, body.code);
      return { status: result.joined ? 201 : 200, body: presentClass(scope, result.class) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id',
    summary: 'One class',
    tags: ['classes'],
    access: { action: 'read', subject: 'Class' },
    params: classParams,
    responses: { 200: { description: 'The class', schema: classView } },
    handler: async ({ scope, params }) => ({ body: presentClass(scope, await findClass(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/classes/:id',
    summary: 'Change, archive or unarchive a class',
    tags: ['classes'],
    access: { action: 'update', subject: 'Class' },
    params: classParams,
    body: updateClassInput,
    responses: { 200: { description: 'The changed class', schema: classView } },
    handler: async ({ scope, params, body }) => ({ body: presentClass(scope, await updateClass(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/join-code',
    summary: 'Rotate the class code',
    description: 'The old code stops working at once. Also turns joining back on.',
    tags: ['classes'],
    access: { action: 'manage_roster', subject: 'Class' },
    params: classParams,
    responses: { 200: { description: 'The class with its new code', schema: classView } },
    handler: async ({ scope, params }) => ({ body: presentClass(scope, await rotateJoinCode(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/members',
    summary: 'The class roster',
    tags: ['classes'],
    access: { action: 'manage_roster', subject: 'Class' },
    params: classParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of members, by email', schema: pageSchema(memberView) } },
    handler: async ({ scope, params, query }) => ({ body: await listMembers(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/people',
    summary: 'Teachers and classmates, by name',
    description: 'For everyone in the class: names only, teachers first. Guardians get 403. Teachers and admins manage the roster at /members.',
    tags: ['classes'],
    access: { action: 'read', subject: 'Class' },
    params: classParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of people', schema: pageSchema(personView) } },
    handler: async ({ scope, params, query }) => ({ body: await listPeople(scope, params.id, query) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/members',
    summary: 'Add a teacher or student to the roster',
    tags: ['classes'],
    access: { action: 'manage_roster', subject: 'Class' },
    params: classParams,
    body: addMemberInput,
    responses: { 204: { description: 'Added' } },
    handler: async ({ scope, params, body }) => {
      await addMember(scope, params.id, body);
      return {};
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/classes/:id/members/:userId',
    summary: 'Remove someone from the roster',
    tags: ['classes'],
    access: { action: 'manage_roster', subject: 'Class' },
    params: memberParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ scope, params }) => {
      await removeMember(scope, params.id, params.userId);
      return {};
    },
  }),
];
