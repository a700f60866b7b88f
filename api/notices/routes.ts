import { z } from 'zod';
import { pageSchema } from '../content/pagination.ts';
import { type AnyRoute, tenantRoute } from '../http/route.ts';
import type { Scope } from '../scope.ts';
import {
  classNoticeListQuery,
  createNoticeInput,
  noticeListQuery,
  noticeView,
  readReceiptView,
  receiptsQuery,
  receiptsView,
  updateNoticeInput,
} from './schema.ts';
import {
  createClassNotice,
  createSchoolNotice,
  deleteNotice,
  findNotice,
  listClassNotices,
  listNotices,
  listReceipts,
  markRead,
  type NoticeRow,
  presentNotice,
  updateNotice,
} from './service.ts';

const idParams = z.object({ id: z.uuid() });
const tags = ['notices'];
const presentPage = (scope: Scope, page: { data: NoticeRow[]; next_cursor: string | null }) => ({
  data: page.data.map((n) => presentNotice(scope, n)),
  next_cursor: page.next_cursor,
});

export const noticeRoutes: AnyRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/notices',
    summary: 'Every notice you may see',
    description:
      'Pinned first, then newest. Students: their classes’ and school-wide notices, published only; guardians: their students’ classes’ and school-wide, published only; teachers: their classes’ (drafts included) and published school-wide ones; admins: all.',
    tags,
    access: { action: 'read', subject: 'Notice' },
    query: noticeListQuery,
    responses: { 200: { description: 'A page of notices', schema: pageSchema(noticeView) } },
    handler: async ({ scope, query }) => ({ body: presentPage(scope, await listNotices(scope, query)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/notices',
    summary: 'Post a school-wide notice (admins)',
    tags,
    access: { action: 'create', subject: 'Notice' },
    body: createNoticeInput,
    responses: { 201: { description: 'Created', schema: noticeView } },
    handler: async ({ scope, body }) => ({ status: 201, body: presentNotice(scope, await createSchoolNotice(scope, body)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/notices',
    summary: 'A class’s notices',
    description: 'Pinned first, then newest. School-wide notices are not included: see GET /api/v1/notices.',
    tags,
    access: { action: 'read', subject: 'Notice' },
    params: idParams,
    query: classNoticeListQuery,
    responses: { 200: { description: 'A page of notices', schema: pageSchema(noticeView) } },
    handler: async ({ scope, params, query }) => ({ body: presentPage(scope, await listClassNotices(scope, params.id, query)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/notices',
    idempotent: true,
    summary: 'Post a notice to a class',
    tags,
    access: { action: 'create', subject: 'Notice' },
    params: idParams,
    body: createNoticeInput,
    responses: { 201: { description: 'Created', schema: noticeView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: presentNotice(scope, await createClassNotice(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/notices/:id',
    summary: 'One notice',
    tags,
    access: { action: 'read', subject: 'Notice' },
    params: idParams,
    responses: { 200: { description: 'The notice', schema: noticeView } },
    handler: async ({ scope, params }) => ({ body: presentNotice(scope, await findNotice(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/notices/:id',
    summary: 'Change, publish, reschedule or unpublish a notice',
    description: "publish_at 'now' publishes a draft or scheduled notice at once; null takes it back to a draft.",
    tags,
    access: { action: 'update', subject: 'Notice' },
    params: idParams,
    body: updateNoticeInput,
    responses: { 200: { description: 'The changed notice', schema: noticeView } },
    handler: async ({ scope, params, body }) => ({ body: presentNotice(scope, await updateNotice(scope, params.id, body)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/notices/:id',
    summary: 'Delete a notice',
    tags,
    access: { action: 'delete', subject: 'Notice' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteNotice(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/notices/:id/read',
    summary: 'Mark a notice read',
    description: 'Idempotent: marking it again keeps the first read_at.',
    tags,
    access: { action: 'read', subject: 'Notice' },
    params: idParams,
    responses: { 200: { description: 'Your read receipt', schema: readReceiptView } },
    handler: async ({ scope, params }) => ({ body: await markRead(scope, params.id) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/notices/:id/receipts',
    summary: 'Who has read a notice, and who has not',
    description: 'Class notices: the enrolled students. School-wide notices: every active person, with counts by role. For the class’s teachers and admins.',
    tags,
    access: { action: 'update', subject: 'Notice' },
    params: idParams,
    query: receiptsQuery,
    responses: { 200: { description: 'Counts and a page of people with their read_at', schema: receiptsView } },
    handler: async ({ scope, params, query }) => ({ body: await listReceipts(scope, params.id, query) }),
  }),
];
