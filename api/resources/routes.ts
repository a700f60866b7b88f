import { z } from 'zod';
import { pageQuery, pageSchema } from '../content/pagination.ts';
import { type AnyRoute, tenantRoute } from '../http/route.ts';
import {
  createResourceInput,
  resourceListQuery,
  resourceOrderInput,
  resourceView,
  topicInput,
  topicOrderInput,
  topicView,
  updateResourceInput,
} from './schema.ts';
import {
  createResource,
  createTopic,
  deleteResource,
  deleteTopic,
  findResource,
  listResources,
  listTopics,
  presentResource,
  presentTopic,
  reorderResources,
  reorderTopics,
  updateResource,
  updateTopic,
} from './service.ts';

const idParams = z.object({ id: z.uuid() });
const tags = ['resources'];

export const resourceRoutes: AnyRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/resources',
    summary: 'A class’s resources',
    description: 'Ungrouped resources first, then topic by topic (in topic order), each in its own order. Group them by topic_id.',
    tags,
    access: { action: 'read', subject: 'Resource' },
    params: idParams,
    query: resourceListQuery,
    responses: { 200: { description: 'A page of resources', schema: pageSchema(resourceView) } },
    handler: async ({ scope, params, query }) => {
      const page = await listResources(scope, params.id, query);
      return { body: { data: page.data.map(presentResource), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/resources',
    summary: 'Add a link or a file to a class',
    description: 'It goes to the end of its topic (or of the ungrouped resources).',
    tags,
    access: { action: 'create', subject: 'Resource' },
    params: idParams,
    body: createResourceInput,
    responses: { 201: { description: 'Created', schema: resourceView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: presentResource(await createResource(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/resource-order',
    summary: 'Reorder the resources of one topic',
    description: 'Send every resource of the topic (or every ungrouped one, with topic_id null) exactly once; any other list is refused.',
    tags,
    access: { action: 'update', subject: 'Resource' },
    params: idParams,
    body: resourceOrderInput,
    responses: { 204: { description: 'Reordered' } },
    handler: async ({ scope, params, body }) => {
      await reorderResources(scope, params.id, body);
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/topics',
    summary: 'A class’s resource topics (units), in order',
    tags,
    access: { action: 'read', subject: 'Resource' },
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of topics', schema: pageSchema(topicView) } },
    handler: async ({ scope, params, query }) => {
      const page = await listTopics(scope, params.id, query);
      return { body: { data: page.data.map(presentTopic), next_cursor: page.next_cursor } };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/topics',
    summary: 'Add a topic (unit) at the end',
    tags,
    access: { action: 'create', subject: 'Resource' },
    params: idParams,
    body: topicInput,
    responses: { 201: { description: 'Created', schema: topicView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: presentTopic(await createTopic(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/topic-order',
    summary: 'Reorder a class’s topics',
    description: 'Send every topic of the class exactly once; any other list is refused.',
    tags,
    access: { action: 'update', subject: 'Resource' },
    params: idParams,
    body: topicOrderInput,
    responses: { 204: { description: 'Reordered' } },
    handler: async ({ scope, params, body }) => {
      await reorderTopics(scope, params.id, body.topic_ids);
      return {};
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/resource-topics/:id',
    summary: 'Rename a topic',
    tags,
    access: { action: 'update', subject: 'Resource' },
    params: idParams,
    body: topicInput,
    responses: { 200: { description: 'The renamed topic', schema: topicView } },
    handler: async ({ scope, params, body }) => ({ body: presentTopic(await updateTopic(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/resource-topics/:id',
    summary: 'Delete a topic',
    description: 'Its resources are kept: they move to the end of the ungrouped resources.',
    tags,
    access: { action: 'delete', subject: 'Resource' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteTopic(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/resources/:id',
    summary: 'One resource',
    tags,
    access: { action: 'read', subject: 'Resource' },
    params: idParams,
    responses: { 200: { description: 'The resource', schema: resourceView } },
    handler: async ({ scope, params }) => ({ body: presentResource(await findResource(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/resources/:id',
    summary: 'Change a resource, or move it to another topic',
    tags,
    access: { action: 'update', subject: 'Resource' },
    params: idParams,
    body: updateResourceInput,
    responses: { 200: { description: 'The changed resource', schema: resourceView } },
    handler: async ({ scope, params, body }) => ({ body: presentResource(await updateResource(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/resources/:id',
    summary: 'Delete a resource',
    tags,
    access: { action: 'delete', subject: 'Resource' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteResource(scope, params.id);
      return {};
    },
  }),
];
